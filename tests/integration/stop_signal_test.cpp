// SIGINT/SIGTERM (and kill -9) in the middle of backup, restore, verify and prune, on real sandbox
// clusters driving the hasteward binary. A failpoint ("<name>:<n>:pause") holds the command at a
// known step; the test signals it there and checks: the documented exit code (130/143), no new
// snapshot and a repository restic still checks, no helper child left, no temp dir left, the
// cluster's servers untouched, and no file holding the database password.
#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <dirent.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "core/subprocess.h"
#include "core/temp_dir.h"
#include "support/command.h"

namespace hasteward::testing {
namespace {

struct StopCase {
  std::string engine;
  int signal;
};

std::string CaseName(const ::testing::TestParamInfo<StopCase>& info) {
  const char* sig = info.param.signal == SIGINT    ? "_SIGINT"
                    : info.param.signal == SIGTERM ? "_SIGTERM"
                                                   : "_SIGKILL";
  return info.param.engine + sig;
}

// The pids of `root`'s descendants (from /proc), so the test can check they are gone afterwards.
std::vector<pid_t> Descendants(pid_t root) {
  std::map<pid_t, pid_t> parent;
  DIR* d = ::opendir("/proc");
  while (dirent* e = d ? ::readdir(d) : nullptr) {
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0)
      continue;
    std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    if (close == std::string::npos)
      continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2)
      parent[pid] = ppid;
  }
  if (d)
    ::closedir(d);
  std::vector<pid_t> out;
  std::vector<pid_t> todo = {root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    for (const auto& [child, pp] : parent) {
      if (pp == p) {
        out.push_back(child);
        todo.push_back(child);
      }
    }
  }
  return out;
}

// True while `pid` exists and is not a zombie.
bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line))
    return false;
  auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] != 'Z';
}

class StopSignalTest : public ::testing::TestWithParam<StopCase> {
 protected:
  void SetUp() override {
    tmp_ = std::make_unique<core::TempDir>(std::move(core::TempDir::Create("hs-stop-").value()));
    ::chmod(tmp_->path().c_str(), 0755);  // the postgres OS user must reach its data dirs
    scratch_tmp_ = tmp_->path() + "/tmp";
    ::mkdir(scratch_tmp_.c_str(), 0700);
    ::chmod(scratch_tmp_.c_str(), 01777);  // a scratch server's OS user writes there too
    env_ = {{"HASTEWARD_STATE_DIR", tmp_->path() + "/state"},
            {"HASTEWARD_INVENTORY", tmp_->path() + "/inventory.yaml"},
            {"HASTEWARD_BACKUPS_PATH", tmp_->path() + "/repo"},
            {"RESTIC_PASSWORD", "stop-test"},
            {"RESTIC_CACHE_DIR", tmp_->path() + "/cache"}};
    ASSERT_EQ(Hs({"repo", "init"}).exit_code, 0);
    auto up = Hs(
        {"sandbox", "up", "-e", GetParam().engine, "-c", "shop", "-n", "test", "--instances", "2"});
    ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
    password_ = ReadPassword();
    ASSERT_FALSE(password_.empty());
  }

  void TearDown() override { Hs({"sandbox", "down", "-c", "shop", "-n", "test"}); }

  CmdResult Hs(std::vector<std::string> args, std::map<std::string, std::string> extra = {}) {
    args.insert(args.begin(), HastewardBin());
    auto env = env_;
    env.insert(extra.begin(), extra.end());
    return RunCommand(args, env);
  }

  std::string ReadPassword() {
    std::string dir = tmp_->path() + "/state/test/shop";
    std::ifstream f(GetParam().engine == "cnpg" ? dir + "/superuser.password"
                                                : dir + "/admin.password");
    std::string pw;
    std::getline(f, pw);
    return pw;
  }

  nlohmann::json Instance(int ordinal) {
    auto r = Hs({"sandbox", "list", "--json"});
    for (const auto& c : nlohmann::json::parse(r.out)) {
      if (c.value("name", "") == "shop")
        return c["instances"][ordinal];
    }
    ADD_FAILURE() << "cluster not listed: " << r.out;
    return {};
  }

  std::string Sql(const std::string& sql, const std::string& db = "") {
    auto inst = Instance(0);
    std::string port = std::to_string(inst["port"].get<int>());
    CmdResult r;
    if (GetParam().engine == "cnpg") {
      r = RunCommand({"runuser", "-u", "postgres", "--", "psql", "-h",
                      inst["socket"].get<std::string>(), "-p", port, "-d",
                      db.empty() ? "postgres" : db, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                      "-c", sql});
    } else {
      std::vector<std::string> argv = {"mariadb", "-h", "127.0.0.1", "-P", port, "-u",
                                       "admin",   "-N", "-B",        "-e", sql};
      if (!db.empty())
        argv.push_back(db);
      r = RunCommand(argv, {{"MYSQL_PWD", password_}});
    }
    EXPECT_EQ(r.exit_code, 0) << sql << ": " << r.err;
    return r.out;
  }

  // One text column, so a COPY/INSERT cut anywhere still parses: a client that executed a
  // half-received stream would leave a partial table.
  void LoadBigTable(int rows) {
    Sql("CREATE DATABASE shop");
    std::string fill =
        GetParam().engine == "cnpg"
            ? "CREATE TABLE big (t text); INSERT INTO big SELECT 'row-' || g || '-' || "
              "repeat('x', 80) FROM generate_series(1, " +
                  std::to_string(rows) + ") g;"
            : "CREATE TABLE big (t text); INSERT INTO big SELECT CONCAT('row-', seq, '-', "
              "REPEAT('x', 80)) FROM seq_1_to_" +
                  std::to_string(rows) + ";";
    Sql(fill, "shop");
    // A MariaDB backup reads a replica: wait until it applied the rows, or the snapshot is empty.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (GetParam().engine != "cnpg" && std::chrono::steady_clock::now() < deadline &&
           RunCommand(
               {"mariadb", "-h", "127.0.0.1", "-P", std::to_string(Instance(1)["port"].get<int>()),
                "-u", "admin", "-N", "-B", "-e", "SELECT count(*) FROM shop.big"},
               {{"MYSQL_PWD", password_}})
                   .out != std::to_string(rows) + "\n") {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  int64_t BigRows() {
    std::string out = Sql("SELECT count(*) FROM big", "shop");
    return out.empty() ? -1 : std::stoll(out);
  }

  std::vector<std::string> Snapshots() {
    auto r = RunCommand({"restic", "-r", tmp_->path() + "/repo", "snapshots", "--json"}, env_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> ids;
    for (const auto& s : nlohmann::json::parse(r.out.empty() ? "[]" : r.out))
      ids.push_back(s["id"].get<std::string>());
    // restic orders snapshots by time; two taken in the same second come back in any order.
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  struct Stopped {
    int exit_code = -1;
    std::string err;
    std::vector<pid_t> children;  // hasteward's descendants when it was signalled
  };

  // Starts hasteward with `failpoint` armed to pause, waits until it paused, sends `sig`, and
  // waits for the exit.
  Stopped RunAndStop(std::vector<std::string> args, const std::string& failpoint, int sig) {
    core::SubprocessOptions o;
    o.argv = args;
    o.argv.insert(o.argv.begin(), HastewardBin());
    o.env_set = env_;
    o.env_set["HASTEWARD_FAILPOINT"] = failpoint;
    // Only the command under test: its temp files (and, before the fix, its secret files) land
    // here, where the test can see what is left.
    o.env_set["TMPDIR"] = scratch_tmp_;
    std::string err_file = tmp_->path() + "/stderr." + std::to_string(++runs_);
    o.stdout_mode = core::StdioMode::kNull;
    o.stderr_mode = core::StdioMode::kFile;
    o.stderr_file = err_file;
    auto proc = core::Subprocess::Start(o);
    EXPECT_TRUE(proc.ok()) << proc.status().ToString();
    Stopped s;
    if (!proc.ok())
      return s;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    std::string err;
    while (err.find("paused (pid") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      if ((*proc)->WaitFor(std::chrono::milliseconds(50)))
        break;
      std::ifstream f(err_file);
      err.assign(std::istreambuf_iterator<char>(f), {});
    }
    EXPECT_NE(err.find("paused (pid"), std::string::npos) << "never reached " << failpoint << err;
    s.children = Descendants((*proc)->pid());
    ::kill((*proc)->pid(), sig);
    auto st = (*proc)->WaitFor(std::chrono::seconds(120));
    EXPECT_TRUE(st.has_value()) << "hasteward did not exit after the signal";
    if (st) {
      s.exit_code = st->exit_code;
    }
    std::ifstream f(err_file);
    s.err.assign(std::istreambuf_iterator<char>(f), {});
    return s;
  }

  // Files below `dir` whose content holds the password.
  std::vector<std::string> FilesHoldingPassword(const std::string& dir) {
    auto r = RunCommand({"grep", "-rlsF", "--", password_, dir});
    std::vector<std::string> out;
    std::istringstream lines(r.out);
    for (std::string l; std::getline(lines, l);)
      out.push_back(l);
    return out;
  }

  void ExpectCleanStop(const Stopped& s, int sig, const std::vector<std::string>& snaps_before) {
    EXPECT_EQ(s.exit_code, 128 + sig) << s.err;
    EXPECT_NE(s.err.find(sig == SIGINT ? "stopped by SIGINT" : "stopped by SIGTERM"),
              std::string::npos)
        << s.err;
    EXPECT_EQ(Snapshots(), snaps_before) << "a stopped command must not add a snapshot";
    auto check = RunCommand({"restic", "-r", tmp_->path() + "/repo", "check"}, env_);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    for (pid_t child : s.children) {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (Alive(child) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      EXPECT_FALSE(Alive(child)) << "child " << child << " outlived hasteward";
    }
    auto left = RunCommand({"sh", "-c", "ls -A '" + scratch_tmp_ + "'"});
    EXPECT_EQ(left.out, "") << "temp files left behind";
    EXPECT_EQ(FilesHoldingPassword(scratch_tmp_), std::vector<std::string>{});
    EXPECT_FALSE(Sql("SELECT 1").empty()) << "the cluster's servers must keep running";
  }

  std::unique_ptr<core::TempDir> tmp_;
  std::string scratch_tmp_;
  std::map<std::string, std::string> env_;
  std::string password_;
  int runs_ = 0;
};

TEST_P(StopSignalTest, BackupStoppedMidDumpSavesNothingAndLeavesNoSecret) {
  const auto& p = GetParam();
  LoadBigTable(20000);
  auto before = Snapshots();
  auto s = RunAndStop({"backup", "-e", p.engine, "-c", "shop", "-n", "test"},
                      "dump-mid-stream:2:pause", p.signal);
  ExpectCleanStop(s, p.signal, before);
  auto again = Hs({"backup", "-e", p.engine, "-c", "shop", "-n", "test"});
  EXPECT_EQ(again.exit_code, 0) << "the repository lock was released: " << again.err;
}

// SIGKILL runs no handler: only a secret that never touched the disk is safe.
class KillNineTest : public StopSignalTest {};

TEST_P(KillNineTest, KillNineMidDumpLeavesNoSecretOnDiskAndNoDumpTool) {
  const auto& p = GetParam();
  LoadBigTable(20000);
  auto s = RunAndStop({"backup", "-e", p.engine, "-c", "shop", "-n", "test"},
                      "dump-mid-stream:2:pause", p.signal);
  EXPECT_EQ(s.exit_code, -1);
  EXPECT_EQ(FilesHoldingPassword(scratch_tmp_), std::vector<std::string>{});
  for (pid_t child : s.children) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (Alive(child) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(Alive(child)) << "dump tool " << child << " outlived a killed hasteward";
  }
}

TEST_P(StopSignalTest, RestoreStoppedMidStreamNeverRunsTheHalfSentTail) {
  const auto& p = GetParam();
  // ~30 MB in one table: the second write to the restore client is inside its COPY / INSERTs.
  LoadBigTable(300000);
  ASSERT_EQ(Hs({"backup", "-e", p.engine, "-c", "shop", "-n", "test"}).exit_code, 0);
  auto before = Snapshots();
  auto s =
      RunAndStop({"restore", "-e", p.engine, "-c", "shop", "-n", "test", "--confirm-overwrite"},
                 "restore-mid-stream:2:pause", p.signal);
  ExpectCleanStop(s, p.signal, before);
  if (p.engine == "cnpg") {
    // The COPY in flight is rolled back as a whole; a client that read end-of-input would have
    // committed the rows received so far.
    int64_t rows = BigRows();
    EXPECT_TRUE(rows == 0 || rows == 300000) << "partial table after a stopped restore: " << rows;
  }
  auto again = Hs({"restore", "-e", p.engine, "-c", "shop", "-n", "test", "--confirm-overwrite"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(BigRows(), 300000);
}

TEST_P(StopSignalTest, VerifyStoppedMidRestoreRemovesItsScratchServer) {
  const auto& p = GetParam();
  LoadBigTable(20000);
  ASSERT_EQ(Hs({"backup", "-e", p.engine, "-c", "shop", "-n", "test"}).exit_code, 0);
  auto before = Snapshots();
  auto s = RunAndStop({"verify", "-e", p.engine, "-c", "shop", "-n", "test"},
                      "verify-mid-restore:1:pause", p.signal);
  ExpectCleanStop(s, p.signal, before);
}

TEST_P(StopSignalTest, PruneStoppedAfterLockDeletesNothing) {
  const auto& p = GetParam();
  LoadBigTable(1000);
  ASSERT_EQ(Hs({"backup", "-e", p.engine, "-c", "shop", "-n", "test"}).exit_code, 0);
  ASSERT_EQ(Hs({"backup", "-e", p.engine, "-c", "shop", "-n", "test"}).exit_code, 0);
  auto before = Snapshots();
  auto s = RunAndStop({"prune", "--keep-last", "1"}, "prune-after-lock:1:pause", p.signal);
  ExpectCleanStop(s, p.signal, before);
  auto again = Hs({"prune", "--keep-last", "1"});
  EXPECT_EQ(again.exit_code, 0) << "the lock was released: " << again.err;
}

INSTANTIATE_TEST_SUITE_P(Engines, StopSignalTest,
                         ::testing::Values(StopCase{"cnpg", SIGTERM}, StopCase{"cnpg", SIGINT},
                                           StopCase{"mariadb", SIGTERM},
                                           StopCase{"mariadb", SIGINT}),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(Engines, KillNineTest,
                         ::testing::Values(StopCase{"cnpg", SIGKILL}, StopCase{"mariadb", SIGKILL}),
                         CaseName);

}  // namespace
}  // namespace hasteward::testing
