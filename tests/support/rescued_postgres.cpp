#include "support/rescued_postgres.h"

#include <sys/stat.h>

#include "support/command.h"

namespace hasteward::testing {

namespace {

constexpr char kPgBin[] = "/usr/lib/postgresql/15/bin";

CmdResult AsPostgres(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  return RunCommand(argv);
}

}  // namespace

RescuedPostgres RescueWithStockRestic(const HastewardEnv& hs, const std::string& snapshot,
                                      const std::string& name, const std::string& data_path,
                                      int port, const std::string& sql) {
  RescuedPostgres out;
  const std::string target = hs.Path(name);
  auto restore = hs.Restic({"restore", snapshot, "--target", target});
  if (restore.exit_code != 0) {
    out.verify_output = "restic restore failed: " + restore.err;
    return out;
  }
  ::chmod(target.c_str(), 0755);  // restic makes its target 0700; postgres must reach below it
  const std::string data = target + "/" + data_path;
  auto verified = AsPostgres({std::string(kPgBin) + "/pg_verifybackup", data});
  out.verify_exit = verified.exit_code;
  out.verify_output = verified.out + verified.err;

  const std::string sock = target + "-sock";
  RunCommand({"install", "-d", "-o", "postgres", "-m", "0700", sock});
  const std::string port_text = std::to_string(port);
  // archive_mode off: the copy carries the source's archive_command, and a copy that archived
  // would push its segments into the source's archive under the source's names.
  auto started = AsPostgres(
      {std::string(kPgBin) + "/pg_ctl", "-D", data, "-l", sock + "/log", "-w", "-t", "120", "-o",
       "-p " + port_text + " -k " + sock + " -c listen_addresses='' -c archive_mode=off", "start"});
  out.start_output = started.out + started.err;
  if (started.exit_code != 0) {
    return out;
  }
  out.started = true;
  out.rows = AsPostgres({"psql", "-h", sock, "-p", port_text, "-X", "-A", "-t", "-c", sql}).out;
  AsPostgres({std::string(kPgBin) + "/pg_ctl", "-D", data, "-w", "-m", "fast", "stop"});
  return out;
}

}  // namespace hasteward::testing
