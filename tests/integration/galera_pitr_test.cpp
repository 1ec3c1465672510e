// Galera point-in-time restores from archived binlogs on a real three-node sandbox, driving the
// binary, in one story (each test continues the cluster the one before left):
// - marker: rows r1, r2 (written on different nodes), note the time T, r3; `restore --until T`
//   (the parallel applier, the last transaction numbered by the node): r1 and r2 on every node,
//   r3 on none, every node at the same GTID position, and each node numbers its next write after
//   it;
// - the archiving node is killed (kill -9) while `archive binlog --follow` runs under a write
//   load (the base backup is taken under it too); the archiver continues on another node; a
//   restore to a time after the switch has exactly the rows the cluster held at that time (no
//   gap, no duplicate);
// - a restore killed at every step after the bootstrap is finished by its rerun;
// - with no Synced node (each desynced) archiving is refused, naming each node's state;
// - a node without wsrep_gtid_mode is refused as the archive's source.
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include "core/poll_until.h"
#include "core/subprocess.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/killed_restore.h"
#include "support/mariadb_set_writer.h"
#include "support/sandbox_cluster.h"
#include "support/serve_process.h"
#include "support/story_suite.h"

namespace hasteward::testing {
namespace {

using platform::EngineKind;

constexpr int kNodes = 3;
constexpr int kUsageExit = 2;         // docs/exit-codes.md
constexpr int kUnreachableExit = 21;  // docs/exit-codes.md
constexpr char kAppPassword[] = "app-secret";
// A node's place in the cluster: "Synced,3,Primary" when all is well.
constexpr const char* kPlaceInCluster =
    "SELECT CONCAT_WS(',', MAX(IF(VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT', VARIABLE_VALUE, "
    "NULL)), MAX(IF(VARIABLE_NAME = 'WSREP_CLUSTER_SIZE', VARIABLE_VALUE, NULL)), "
    "MAX(IF(VARIABLE_NAME = 'WSREP_CLUSTER_STATUS', VARIABLE_VALUE, NULL))) FROM "
    "information_schema.GLOBAL_STATUS";

class GaleraPitrTest : public StorySuite<GaleraPitrTest> {
 public:
  static SandboxCluster::Options Story() {
    return {.engine = EngineKind::kGalera, .instances = kNodes, .name = "", .ns = "gp"};
  }
  static constexpr const char* kTempPrefix = "hs-galera-pitr-";
  static void Seed() {
    Sql(0,
        "CREATE DATABASE pit; CREATE TABLE pit.m (id INT PRIMARY KEY, note VARCHAR(20)); "
        "CREATE TABLE pit.w (seq BIGINT AUTO_INCREMENT PRIMARY KEY, id BIGINT); "
        "INSERT INTO pit.m VALUES (0, 'before the base');");
  }

 protected:
  static std::vector<std::string> Scope() {
    return {"-e", "galera", "-c", sc_->cluster().name, "-n", "gp"};
  }
  static CmdResult On(const std::string& verb, std::vector<std::string> args = {},
                      const HastewardEnv::EnvVars& extra_env = {}) {
    std::vector<std::string> all = {verb};
    for (auto& flag : Scope()) {
      all.push_back(flag);
    }
    all.insert(all.end(), args.begin(), args.end());
    return hs_->Run(all, "", extra_env);
  }
  static std::string Rows(int ordinal) {
    return Sql(ordinal, "SELECT GROUP_CONCAT(note ORDER BY id) FROM pit.m");
  }
  // SQL as the application's account (INSERT, no admin privilege: read_only applies to it) with
  // the stock client.
  static CmdResult SqlAsApp(int ordinal, const std::string& sql) {
    const platform::Instance& instance = sc_->instance(ordinal);
    return RunCommand({"mariadb", "--no-defaults", "--protocol=tcp", "-h", instance.host, "-P",
                       std::to_string(instance.port), "-u", "app", "--batch", "-N", "-e", sql},
                      {{"MYSQL_PWD", kAppPassword}});
  }
  static CmdResult RunArchive() {
    std::vector<std::string> args = {"archive", "binlog"};
    for (auto& flag : Scope()) {
      args.push_back(flag);
    }
    return hs_->Run(args);
  }
  static void Archive() {
    auto run = RunArchive();
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }
  // One archive cycle while every node runs with `variable` set to `value`; the variable is set
  // back to `restore` on every node afterwards.
  static CmdResult ArchiveWithEveryNode(const std::string& variable, const std::string& value,
                                        const std::string& restore) {
    for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
      Sql(ordinal, "SET GLOBAL " + variable + " = " + value);
    }
    auto run = RunArchive();
    for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
      Sql(ordinal, "SET GLOBAL " + variable + " = " + restore);
    }
    return run;
  }
  static void NativeBackup() {
    auto run = On("backup", {"--method", "native"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }
  static void Insert(int ordinal, int id, const std::string& note) {
    Sql(ordinal, "INSERT INTO pit.m VALUES (" + std::to_string(id) + ", '" + note + "')");
  }
  // The current second as RFC 3339, after a pause on both sides: binlog times are whole seconds,
  // so a target must not share its second with a row on either side of it.
  static std::string MarkTime() {
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    std::time_t now = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    return text;
  }
  // Stops every node (a Galera native restore bootstraps a new cluster from one and the others
  // join it) and restores with `args`.
  static CmdResult RestoreStopped(std::vector<std::string> args,
                                  const HastewardEnv::EnvVars& extra_env = {}) {
    for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
      auto stop = hs_->Run({"instance", "stop", "-c", sc_->cluster().name, "-n", "gp", "-i",
                            std::to_string(ordinal)});
      EXPECT_EQ(stop.exit_code, 0) << stop.err;
    }
    args.emplace_back("--yes");
    // The stopped nodes hold transactions past the restore's end: consent, their data kept.
    args.emplace_back("--confirm-rewind");
    return On("restore", args, extra_env);
  }
  // The sequence number of the cluster's GTID domain in `position` ("1-2-42" -> "42"): a
  // replayed write set carries the server id of the node that bootstrapped the restored cluster.
  static std::string Sequence(const std::string& position) {
    return position.substr(position.rfind('-') + 1);
  }
  static pid_t ServerPid(int ordinal) {
    std::ifstream file(sc_->instance(ordinal).data_dir + "/../mariadbd.pid");
    pid_t pid = 0;
    file >> pid;
    return pid;
  }
  // What each node says of its place in the cluster, and the end of its error log: printed when
  // the cluster stops taking writes, so a failure says whether the survivors lost the primary
  // component and why.
  static std::string ClusterDiagnosis() {
    std::string text;
    for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
      text += "--- node " + std::to_string(ordinal) +
              " (state, size, component): " + Sql(ordinal, kPlaceInCluster) + "\n";
      auto log = core::ReadFileToString(sc_->instance(ordinal).log_file);
      if (log.ok()) {
        constexpr size_t kTail = 6000;
        text += log->size() > kTail ? log->substr(log->size() - kTail) : *log;
      }
    }
    return text;
  }
  // Gone, or a zombie (its sockets are closed; its parent has not reaped it yet).
  static bool ProcessGone(pid_t pid) {
    auto stat = core::ReadFileToString("/proc/" + std::to_string(pid) + "/stat");
    if (!stat.ok()) {
      return true;
    }
    auto after_name = stat->rfind(')');
    return after_name != std::string::npos && stat->compare(after_name, 3, ") Z") == 0;
  }
  // What /proc says of a process that outlived SIGKILL (its state and where it waits).
  static std::string ProcessState(pid_t pid) {
    std::string text = "process " + std::to_string(pid) + " still exists:\n";
    for (const char* file : {"status", "wchan", "stack"}) {
      auto content = core::ReadFileToString("/proc/" + std::to_string(pid) + "/" + file);
      text += std::string(file) + ": " + (content.ok() ? *content : "(unreadable)") + "\n";
    }
    return text;
  }
  static int OrdinalOf(const std::string& name) {
    for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
      if (sc_->instance(ordinal).name == name) {
        return ordinal;
      }
    }
    return -1;
  }
};

TEST_F(GaleraPitrTest, MarkerRestoreUntilTimeKeepsTheRowsBeforeItOnEveryNode) {
  NativeBackup();
  Insert(0, 1, "r1");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Insert(1, 2, "r2");
  std::string after_r2 = Sql(1, "SELECT @@gtid_binlog_pos");
  std::string target = MarkTime();
  Insert(2, 3, "r3");
  Archive();
  auto restored = RestoreStopped({"--until", target});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_NE(restored.out.find("(parallel applier, 8 threads"), std::string::npos)
      << restored.out << restored.err;
  for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
    EXPECT_EQ(Sql(ordinal, "SELECT GROUP_CONCAT(note ORDER BY id) FROM pit.m"),
              "before the base,r1,r2")
        << "node " << ordinal;
    EXPECT_EQ(Sequence(Sql(ordinal, "SELECT @@gtid_binlog_pos")), Sequence(after_r2))
        << "node " << ordinal;
  }
  // Every node numbers the next writes after the replay: a node whose wsrep GTID counter stayed
  // at the base would give a write the sequence number of a replayed transaction, and a later
  // restore would skip that write.
  const long replayed_to = std::stol(Sequence(after_r2));
  for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
    Insert(ordinal, 10 + ordinal, "after the restore");
    EXPECT_EQ(std::stol(Sequence(Sql(ordinal, "SELECT @@gtid_binlog_pos"))),
              replayed_to + 1 + ordinal)
        << "node " << ordinal;
  }
  EXPECT_EQ(On("triage").exit_code, 0);
}

TEST_F(GaleraPitrTest, KilledArchivingNodeArchiveContinuesAndRestoresEveryRow) {
  Archive();
  // The archive follows one node while it qualifies; the load goes to the other two.
  MariadbSetWriter::Options load;
  load.user = sc_->cluster().credentials.user;
  load.password = sc_->password();
  load.table = "pit.w";
  // The follower's first cycle names the node it archives from: that one is killed.
  core::SubprocessOptions follow;
  follow.argv = {HastewardBin(), "archive", "binlog", "--follow", "--interval", "1s", "--json"};
  for (auto& flag : Scope()) {
    follow.argv.push_back(flag);
  }
  follow.env_set = hs_->vars();
  follow.stdout_mode = core::StdioMode::kFile;
  follow.stdout_file = hs_->Path("follow.jsonl");
  auto follower = core::Subprocess::Start(follow);
  ASSERT_TRUE(follower.ok()) << follower.status().ToString();
  std::string archiving;
  ASSERT_TRUE(core::PollUntil(
      [&] {
        auto text = core::ReadFileToString(follow.stdout_file);
        if (!text.ok() || text->empty()) {
          return false;
        }
        archiving = nlohmann::json::parse(text->substr(0, text->find('\n')))["writer"];
        return true;
      },
      std::chrono::seconds(30)));
  const int killed = OrdinalOf(archiving);
  ASSERT_GE(killed, 0) << archiving;
  for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
    if (ordinal != killed) {
      load.endpoints.emplace_back(sc_->instance(ordinal).host, sc_->instance(ordinal).port);
    }
  }
  MariadbSetWriter writer(load);
  writer.Start();
  ASSERT_TRUE(writer.WaitForAcknowledged(50, std::chrono::seconds(30)));
  // The base is taken under the load: its GTID position must match the data it copied.
  NativeBackup();
  ASSERT_TRUE(writer.WaitForAcknowledged(50, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a cycle or two on it
  const pid_t killed_pid = ServerPid(killed);
  ASSERT_EQ(::kill(killed_pid, SIGKILL), 0);
  // The process must be gone (its sockets closed) before the survivors are judged: a server
  // stuck in the kernel on its way out keeps its ports.
  ASSERT_TRUE(core::PollUntil([&] { return ProcessGone(killed_pid); }, std::chrono::seconds(60)))
      << ProcessState(killed_pid);
  // The two survivors form the primary component (2 of 3) and go on taking writes.
  ASSERT_TRUE(core::PollUntil(
      [&] {
        for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
          if (ordinal != killed && Sql(ordinal, kPlaceInCluster) != "Synced,2,Primary") {
            return false;
          }
        }
        return true;
      },
      std::chrono::seconds(120)))
      << ClusterDiagnosis();
  ASSERT_TRUE(writer.WaitForAcknowledged(100, std::chrono::seconds(60)))
      << "the writer had " << writer.failures() << " failures in " << writer.attempts()
      << " attempts\n"
      << ClusterDiagnosis();
  writer.Stop();
  const int alive = killed == 0 ? 1 : 0;
  std::string committed_ids = Sql(alive, "SELECT id FROM pit.w ORDER BY id");
  std::string target = MarkTime();
  Sql(alive, "INSERT INTO pit.w (id) VALUES (-1)");  // after the target: must not come back
  std::string position = Sql(alive, "SELECT @@gtid_binlog_pos");
  // The follower reaches the position from another node.
  ASSERT_TRUE(core::PollUntil(
      [&] {
        auto text = core::ReadFileToString(follow.stdout_file);
        return text.ok() &&
               text->find("\"archived_gtid\":\"" + position + "\"") != std::string::npos;
      },
      std::chrono::seconds(60)))
      << *core::ReadFileToString(follow.stdout_file);
  (*follower)->Signal(SIGTERM);
  (*follower)->Wait();
  std::istringstream cycles(*core::ReadFileToString(follow.stdout_file));
  bool continued_elsewhere = false;
  for (std::string line; std::getline(cycles, line);) {
    auto cycle = nlohmann::json::parse(line);
    continued_elsewhere = continued_elsewhere ||
                          (cycle["writer"] != archiving && cycle["transactions"].get<int>() > 0);
  }
  EXPECT_TRUE(continued_elsewhere) << *core::ReadFileToString(follow.stdout_file);

  auto restored = RestoreStopped({"--until", target});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_NE(restored.out.find("(parallel applier, 8 threads"), std::string::npos)
      << restored.out << restored.err;
  for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
    std::string restored_ids = Sql(ordinal, "SELECT id FROM pit.w ORDER BY id");
    EXPECT_EQ(restored_ids, committed_ids) << "node " << ordinal;
    SetCheck check = CheckSet(writer.acknowledged(), restored_ids);
    EXPECT_EQ(check.lost, 0) << "node " << ordinal;
    EXPECT_EQ(check.duplicated, 0) << "node " << ordinal;
  }
  EXPECT_EQ(On("triage").exit_code, 0);
}

// Issue 30: `restore --until T` killed (failpoints) at every step after the bootstrap, each time
// with a row newer than T on the stopped nodes (consented): the rerun restores exactly the rows
// before T on every node and names where each node's old data directory is kept. Killed with the
// base restored and nothing replayed, the bootstrapped node takes no application write (finding
// 3: read_only until the replay reached the target).
TEST_F(GaleraPitrTest, ARestoreUntilKilledAfterTheBootstrapIsFinishedByTheRerun) {
  Sql(0, "CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY '" + std::string(kAppPassword) +
             "'; GRANT SELECT, INSERT ON pit.* TO 'app'@'%';");
  // Not archived before the base (the backup rotates the node's binlog after them). Reading the
  // file's Gtid_list, sorted by server id, took its last entry (1-4294967295-N, older) for the
  // domain's position: the base's GTID came out behind its data, and the archive showed a gap
  // before the next file, so every restore past the base was refused.
  NativeBackup();
  Insert(0, 40, "r40");
  const std::string expected = Rows(0);
  const std::string target = MarkTime();
  int round = 0;
  for (const std::string failpoint :
       {"native-restore-started", "native-restore-recloned", "binlog-restore-before-replay",
        "binlog-restore-replaying", "binlog-restore-replayed"}) {
    SCOPED_TRACE(failpoint);
    const std::string mark = "round " + std::to_string(++round);
    Insert(round % kNodes, 40 + round, mark);
    // Archived from whichever node the archiver follows: every node applied it first.
    for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
      EXPECT_TRUE(core::PollUntil([&] { return Rows(ordinal).find(mark) != std::string::npos; },
                                  std::chrono::seconds(10)))
          << "node " << ordinal;
    }
    Archive();
    auto killed = RestoreStopped({"--until", target}, {{"HASTEWARD_FAILPOINT", failpoint}});
    ASSERT_EQ(killed.signal, SIGKILL)
        << killed.out << killed.err
        << hs_->Run({"pitr", "status", "-e", "galera", "-c", sc_->cluster().name, "-n", "gp"}).out;
    if (failpoint == "binlog-restore-before-replay") {
      bool refused = false;
      for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
        CmdResult write = SqlAsApp(ordinal, "INSERT INTO pit.m VALUES (99, 'half-replayed')");
        EXPECT_NE(write.exit_code, 0) << "node " << ordinal << " took an application write";
        refused = refused || write.err.find("read-only") != std::string::npos;
      }
      EXPECT_TRUE(refused) << "no running node refused the write as read-only";
    }
    auto rerun = RestoreStopped({"--until", target});
    ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
    for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
      EXPECT_EQ(Rows(ordinal), expected) << "node " << ordinal;
    }
    for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
      EXPECT_FALSE(KeptPathsNamedIn(killed.err + rerun.err, sc_->instance(ordinal).name).empty())
          << "no kept copy of node " << ordinal << " is named:\n"
          << killed.err << rerun.err;
    }
  }
  EXPECT_EQ(On("triage").exit_code, 0);
}

TEST_F(GaleraPitrTest, NoSyncedNodeRefusesArchivingAndSaysWhereEachNodeStands) {
  // A desynced node is reachable and writable but may lag the cluster: the refusal must say what
  // each node is, not only "writable".
  auto refused = ArchiveWithEveryNode("wsrep_desync", "ON", "OFF");
  EXPECT_EQ(refused.exit_code, kUnreachableExit) << refused.out << refused.err;
  for (int ordinal = 0; ordinal < kNodes; ++ordinal) {
    EXPECT_NE(refused.err.find(sc_->instance(ordinal).name +
                               ": writable, not Synced (Donor/Desynced, Primary)"),
              std::string::npos)
        << refused.err;
  }
}

TEST_F(GaleraPitrTest, ZzArchivingRefusesANodeWithoutWsrepGtidMode) {
  // Each node would number the write sets its own way: archiving it, then another, would lose
  // or repeat transactions.
  auto refused = ArchiveWithEveryNode("wsrep_gtid_mode", "OFF", "ON");
  EXPECT_EQ(refused.exit_code, kUsageExit) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("wsrep_gtid_mode"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace hasteward::testing
