#include "support/rescued_mariadb.h"

#include <filesystem>

#include <sys/stat.h>

#include "core/poll_until.h"
#include "support/command.h"

namespace hasteward::testing {

namespace {

std::vector<std::string> AsServerUser(const std::string& os_user, std::vector<std::string> argv) {
  if (!os_user.empty() && os_user != "root") {
    argv.insert(argv.begin(), {"runuser", "-u", os_user, "--"});
  }
  return argv;
}

}  // namespace

MariadbCopy ReadMariadbDirectory(const std::string& data_dir, const std::string& os_user,
                                 const std::string& run_dir, const std::string& sql) {
  MariadbCopy out;
  const std::string owner = os_user.empty() ? "root" : os_user;
  RunCommand({"install", "-d", "-o", owner, "-m", "0700", run_dir});
  const std::string sock = run_dir + "/sock";
  const std::string pid = run_dir + "/pid";
  // In the background: mariadbd does not detach. --no-defaults: the copy must not write binlogs
  // or replicate, whatever its source's configuration said.
  std::string command;
  for (const auto& arg : AsServerUser(
           os_user, {"mariadbd", "--no-defaults", "--datadir=" + data_dir, "--socket=" + sock,
                     "--pid-file=" + pid, "--log-error=" + run_dir + "/err", "--skip-networking",
                     "--skip-grant-tables", "--innodb-buffer-pool-size=32M"})) {
    command += "'" + arg + "' ";
  }
  RunCommand({"sh", "-c", command + ">/dev/null 2>&1 &"});
  const std::vector<std::string> client = {"mariadb", "--no-defaults", "-S", sock, "-N", "-B"};
  CmdResult rows;
  bool answered = core::PollUntil(
      [&] {
        std::vector<std::string> query = client;
        query.insert(query.end(), {"-e", sql});
        rows = RunCommand(query);
        return rows.exit_code == 0;
      },
      std::chrono::seconds(120), std::chrono::milliseconds(200));
  if (!answered) {
    out.output = "mariadbd did not answer on '" + data_dir + "': " + rows.err +
                 RunCommand({"tail", "-n", "30", run_dir + "/err"}).out;
  }
  RunCommand({"mariadb-admin", "--no-defaults", "-S", sock, "shutdown"});
  core::PollUntil([&] { return !std::filesystem::exists(pid); }, std::chrono::seconds(60));
  out.ok = answered;
  out.rows = rows.out;
  return out;
}

MariadbCopy RescueMariadbWithStockRestic(const HastewardEnv& hs, const std::string& snapshot,
                                         const std::string& name, const std::string& data_path,
                                         const std::string& os_user, const std::string& sql) {
  const std::string target = hs.Path(name);
  auto restored = hs.Restic({"restore", snapshot, "--target", target});
  if (restored.exit_code != 0) {
    return {.ok = false, .output = "restic restore failed: " + restored.err};
  }
  // restic makes its target 0700 and the tree's directories as the snapshot says; mariadbd runs
  // as the server's user and must reach the data directory below them.
  std::filesystem::path dir = target;
  for (const auto& part : std::filesystem::path(data_path).parent_path()) {
    ::chmod(dir.c_str(), 0755);
    dir /= part;
  }
  ::chmod(dir.c_str(), 0755);
  const std::string data = target + "/" + data_path;
  auto prepared =
      RunCommand(AsServerUser(os_user, {"mariadb-backup", "--prepare", "--target-dir=" + data}));
  if (prepared.exit_code != 0) {
    return {.ok = false,
            .output = "mariadb-backup --prepare failed: " + prepared.out + prepared.err};
  }
  return ReadMariadbDirectory(data, os_user, hs.Path(name + "-run"), sql);
}

}  // namespace hasteward::testing
