// MariaDB point-in-time restores from archived binlogs on a real replication sandbox, driving the
// binary, in one story (each test continues the cluster the one before left):
// - marker: rows r1, r2, note the time T, r3; `restore --until T`: r1 and r2 on every instance,
//   r3 nowhere, the GTID position exactly the one after r2;
// - after that restore the cluster writes r3's GTID again with other content (r4): the archive
//   follows, and a later restore replays r4, never the abandoned r3;
// - across a base-backup boundary with `--until-gtid`: the newest base before the target is used;
// - after a switchover the archive continues on the new primary and a restore reaches its rows;
// - a target 5 s after the last archived row is refused (24, nothing changed) until a row after
//   it is archived; then the row before it is restored;
// - a missing piece in the middle: a restore past it is refused (24) before anything changes, a
//   restore before it succeeds; `pitr status` names the missing bytes and where the archive
//   resumes;
// - prune keeps exactly the binlog snapshots the kept base needs (the file it continues in from
//   its start, rewinds), `restic check --read-data` passes, and a restore inside the window works;
// - a restore killed at every step is finished by its rerun.
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/poll_until.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/killed_restore.h"
#include "support/mount_process.h"
#include "support/sandbox_cluster.h"
#include "support/story_suite.h"

namespace hasteward::testing {
namespace {

constexpr int kSafetyStopExit = 24;  // docs/exit-codes.md

class BinlogPitrTest : public StorySuite<BinlogPitrTest> {
 public:
  static SandboxCluster::Options Story() { return AsyncMariadbStory(2, "bp"); }
  static constexpr const char* kTempPrefix = "hs-binlog-pitr-";
  static void Seed() {
    Sql(0,
        "CREATE DATABASE pit; CREATE TABLE pit.m (id INT PRIMARY KEY, note VARCHAR(20)); "
        "INSERT INTO pit.m VALUES (0, 'before the base');");
  }

 protected:
  static CmdResult On(const std::string& verb, std::vector<std::string> args = {},
                      const HastewardEnv::EnvVars& extra_env = {}) {
    std::vector<std::string> all = {verb, "-e", "mariadb", "-c", sc_->cluster().name, "-n", "bp"};
    all.insert(all.end(), args.begin(), args.end());
    return hs_->Run(all, "", extra_env);
  }
  static void Archive() {
    auto run =
        hs_->Run({"archive", "binlog", "-e", "mariadb", "-c", sc_->cluster().name, "-n", "bp"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
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
  static std::set<std::string> BinlogSnapshotIds() {
    auto listed = hs_->Restic({"snapshots", "--json", "--tag", "archive=binlog"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    std::set<std::string> ids;
    for (const auto& snapshot : nlohmann::json::parse(listed.out)) {
      ids.insert(snapshot["id"].get<std::string>());
    }
    return ids;
  }
  static CmdResult PitrStatus(const std::vector<std::string>& flags) {
    std::vector<std::string> args = {"pitr", "status", "-e", "mariadb", "-c", sc_->cluster().name,
                                     "-n",   "bp"};
    args.insert(args.end(), flags.begin(), flags.end());
    return hs_->Run(args);
  }
  // The binlog snapshot the next archiving cycle stores (found by difference: restic lists
  // snapshots taken in the same second in either order).
  static std::string ArchiveIntoNewSnapshot() {
    std::set<std::string> before = BinlogSnapshotIds();
    Archive();
    for (const auto& id : BinlogSnapshotIds()) {
      if (before.count(id) == 0) {
        return id;
      }
    }
    ADD_FAILURE() << "the archiving cycle stored nothing";
    return "";
  }
  static std::string Rows(int ordinal) {
    return Sql(ordinal, "SELECT GROUP_CONCAT(note ORDER BY id SEPARATOR ',') FROM pit.m");
  }
  // Stops `ordinal` (a native restore goes into a stopped instance) and restores with `args`.
  static void Stop(int ordinal) {
    auto stop = hs_->Run(
        {"instance", "stop", "-c", sc_->cluster().name, "-n", "bp", "-i", std::to_string(ordinal)});
    EXPECT_EQ(stop.exit_code, 0) << stop.err;
  }
  static CmdResult RestoreInto(int ordinal, std::vector<std::string> args,
                               const HastewardEnv::EnvVars& extra_env = {}) {
    Stop(ordinal);
    args.emplace_back("--yes");
    // A stopped server's GTID position is read only from the running server: the discard gate
    // needs consent to replace it (its data directory is then moved aside and kept).
    args.emplace_back("--confirm-rewind");
    return On("restore", args, extra_env);
  }
  // Both instances hold `rows` and the same GTID position.
  static void ExpectEverywhere(const std::string& rows) {
    for (int attempt = 0; attempt < 100 && Rows(1) != rows; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(Rows(0), rows);
    EXPECT_EQ(Rows(1), rows);
    EXPECT_EQ(Sql(0, "SELECT @@gtid_binlog_pos"), Sql(1, "SELECT @@gtid_current_pos"));
    EXPECT_EQ(On("triage").exit_code, 0);
  }
};

TEST_F(BinlogPitrTest, MarkerRestoreUntilTimeKeepsTheRowsBeforeIt) {
  NativeBackup();
  Insert(0, 1, "r1");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Insert(0, 2, "r2");
  std::string after_r2 = Sql(0, "SELECT @@gtid_binlog_pos");
  std::string target = MarkTime();
  Insert(0, 3, "r3");
  Archive();
  auto restored = RestoreInto(0, {"--until", target});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  ExpectEverywhere("before the base,r1,r2");
  EXPECT_EQ(Sql(0, "SELECT @@gtid_binlog_pos"), after_r2);
}

TEST_F(BinlogPitrTest, TheNewHistoryReplaysInsteadOfTheAbandonedFuture) {
  // r4 takes the GTID r3 had before the restore, with other content.
  Insert(0, 4, "r4");
  std::string target = MarkTime();
  Insert(0, 5, "r5");
  Archive();
  auto restored = RestoreInto(0, {"--until", target});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  ExpectEverywhere("before the base,r1,r2,r4");
}

TEST_F(BinlogPitrTest, UntilGtidUsesTheNewestBaseBeforeTheTarget) {
  NativeBackup();
  auto natives = hs_->Restic({"snapshots", "--json", "--tag", "method=native"});
  ASSERT_EQ(natives.exit_code, 0) << natives.err;
  std::string newest_base = nlohmann::json::parse(natives.out).back()["id"];
  Insert(0, 6, "r6");
  std::string after_r6 = Sql(0, "SELECT @@gtid_binlog_pos");
  Insert(0, 7, "r7");
  Archive();
  auto restored = RestoreInto(0, {"--until-gtid", after_r6, "--json"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_NE(restored.out.find(newest_base), std::string::npos) << restored.out;
  ExpectEverywhere("before the base,r1,r2,r4,r6");
  EXPECT_EQ(Sql(0, "SELECT @@gtid_binlog_pos"), after_r6);
}

TEST_F(BinlogPitrTest, AfterASwitchoverARestoreReachesTheNewPrimarysRows) {
  Archive();
  auto switched = On("switchover", {"--to", sc_->instance(1).name});
  ASSERT_EQ(switched.exit_code, 0) << switched.out << switched.err;
  Insert(1, 8, "r8");
  std::string target = MarkTime();
  Insert(1, 9, "r9");
  Archive();
  auto restored = RestoreInto(1, {"--until", target});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  // The restored instance 1 is the primary now; instance 0 was rebuilt from it.
  for (int attempt = 0; attempt < 100 && Rows(0) != Rows(1); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Rows(1), "before the base,r1,r2,r4,r6,r8");
  EXPECT_EQ(Rows(0), Rows(1));
  EXPECT_EQ(On("triage").exit_code, 0);
}

TEST_F(BinlogPitrTest, ARowCommittedFiveSecondsBeforeTheTargetIsThere) {
  // Instance 1 is the primary since the switchover. While nothing is archived after the target it
  // is refused, nothing changed: an archive cycle after it (the archiving host's clock) does not
  // say the source committed nothing more before it. An archived row after it does.
  Insert(1, 20, "now-5s");
  std::this_thread::sleep_for(std::chrono::seconds(5));
  std::string target = MarkTime();
  Archive();
  std::string rows_before = Rows(1);
  auto refused = On("restore", {"--until", target, "--yes"});
  EXPECT_EQ(refused.exit_code, kSafetyStopExit) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("past the archive's last transaction"), std::string::npos)
      << refused.err;
  EXPECT_EQ(Rows(1), rows_before);
  Insert(1, 21, "after the target");
  Archive();
  auto restored = RestoreInto(1, {"--until", target});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(Rows(1), "before the base,r1,r2,r4,r6,r8,now-5s");
}

TEST_F(BinlogPitrTest, ZzAMissingPieceRefusesARestorePastItBeforeAnythingChanges) {
  // Instance 1 is the primary since the switchover.
  Insert(1, 10, "r10");
  std::string after_r10 = Sql(1, "SELECT @@gtid_binlog_pos");
  Archive();
  Insert(1, 11, "r11");
  std::string middle = ArchiveIntoNewSnapshot();  // the piece that goes missing
  ASSERT_FALSE(middle.empty());
  Insert(1, 12, "r12");
  Archive();
  ASSERT_EQ(hs_->Restic({"forget", middle}).exit_code, 0);

  // `pitr status` names the gap: the bytes the forgotten snapshot held, and r12 after them.
  auto status = PitrStatus({"--json"});
  ASSERT_EQ(status.exit_code, 0) << status.out << status.err;
  for (const auto& base : nlohmann::json::parse(status.out)["bases"]) {
    EXPECT_TRUE(base["recoverable"].get<bool>()) << status.out;
    EXPECT_EQ(base["end"], after_r10) << status.out;
    ASSERT_FALSE(base["gap"].is_null()) << status.out;
    EXPECT_EQ(base["gap"]["resumes_at"], Sql(1, "SELECT @@gtid_binlog_pos")) << status.out;
    EXPECT_FALSE(base["gap"]["missing"].is_null()) << status.out;
  }
  auto text = PitrStatus({});
  EXPECT_NE(text.out.find("gap: after GTID " + after_r10 + ", bytes "), std::string::npos)
      << text.out;

  std::string rows_before = Rows(1);
  std::string position_before = Sql(1, "SELECT @@gtid_binlog_pos");
  auto refused = On("restore", {"--until-gtid", position_before, "--yes"});
  EXPECT_EQ(refused.exit_code, kSafetyStopExit) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("only to GTID " + after_r10), std::string::npos) << refused.err;
  EXPECT_EQ(Rows(1), rows_before) << "a refused restore changed the primary";
  EXPECT_EQ(Sql(1, "SELECT @@gtid_binlog_pos"), position_before);

  // A time target past the gap is refused too, though the archive was current after it.
  std::string after_everything = MarkTime();
  Archive();
  auto refused_time = On("restore", {"--until", after_everything, "--yes"});
  EXPECT_EQ(refused_time.exit_code, kSafetyStopExit) << refused_time.out << refused_time.err;
  EXPECT_EQ(Rows(1), rows_before);

  auto restored = RestoreInto(1, {"--until-gtid", after_r10});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(Rows(1), "before the base,r1,r2,r4,r6,r8,r10,now-5s");
  EXPECT_EQ(Sql(1, "SELECT @@gtid_binlog_pos"), after_r10);
}

TEST_F(BinlogPitrTest, ZzBPruneKeepsExactlyTheBinlogSnapshotsTheKeptBaseNeeds) {
  // Instance 1 is the primary (restored last). r13 is archived before the base: the base
  // continues inside that file, whose first piece a restore needs although the base holds r13.
  Insert(1, 13, "r13");
  const std::string file_head = ArchiveIntoNewSnapshot();
  ASSERT_FALSE(file_head.empty());
  NativeBackup();
  const std::set<std::string> before_base = BinlogSnapshotIds();
  Insert(1, 14, "r14");
  std::string target = MarkTime();
  Insert(1, 15, "r15");
  Archive();
  auto rewinds = hs_->Restic({"snapshots", "--json", "--tag", "binlog_rewind=yes"});
  ASSERT_EQ(rewinds.exit_code, 0) << rewinds.err;
  std::set<std::string> expected = {file_head};
  for (const auto& snapshot : nlohmann::json::parse(rewinds.out)) {
    expected.insert(snapshot["id"].get<std::string>());  // rewinds are kept for ever
  }
  size_t older = 0;  // archived before the base, holding nothing it needs
  for (const auto& id : BinlogSnapshotIds()) {
    if (before_base.count(id) == 0) {
      expected.insert(id);
    } else if (expected.count(id) == 0) {
      ++older;
    }
  }
  ASSERT_GT(older, 0u) << "nothing to prune";

  auto pruned = On("prune", {"--keep-last", "1"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.out << pruned.err;
  EXPECT_EQ(BinlogSnapshotIds(), expected) << pruned.out;
  auto check = hs_->Restic({"check", "--read-data"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  auto status = PitrStatus({"--json"});
  ASSERT_EQ(status.exit_code, 0) << status.out << status.err;
  auto bases = nlohmann::json::parse(status.out)["bases"];
  ASSERT_EQ(bases.size(), 1u) << status.out;
  EXPECT_TRUE(bases[0]["recoverable"].get<bool>()) << status.out;
  EXPECT_TRUE(bases[0]["gap"].is_null()) << status.out;

  auto restored = RestoreInto(1, {"--until", target});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(Rows(1), "before the base,r1,r2,r4,r6,r8,r10,r13,r14,now-5s");
}

// Issue 30: `restore --until T` killed (failpoints) at every step, the base restore's and the
// replay's, each time with a row newer than T on the stopped primary (consented): its data
// directory is its old one or the restored tree, and the same command, rerun, restores exactly the
// rows before T on both instances and names where the old data directory is kept.
TEST_F(BinlogPitrTest, ZzCARestoreUntilKilledAtEveryStepIsFinishedByTheRerun) {
  // Instance 1 is the primary (restored last).
  Insert(1, 16, "r16");
  const std::string expected = Rows(1);
  const std::string target = MarkTime();
  const std::string data_dir = sc_->instance(1).data_dir;
  int round = 0;
  for (const std::string failpoint :
       {"native-restore-prepared", "native-restore-tree", "native-restore-gated",
        "native-restore-swap", "native-restore-swapped", "native-restore-started",
        "binlog-restore-before-replay", "binlog-restore-replaying", "binlog-restore-replayed",
        "binlog-restore-rebuilt"}) {
    SCOPED_TRACE(failpoint);
    const std::string mark = "round " + std::to_string(++round);
    Insert(1, 100 + round, mark);
    Archive();
    Stop(1);
    auto old = OldDataDirectory::Mark(data_dir, sc_->instance(1).name, mark);

    auto killed = RestoreInto(1, {"--until", target}, {{"HASTEWARD_FAILPOINT", failpoint}});
    ASSERT_EQ(killed.signal, SIGKILL) << killed.out << killed.err;
    old.ExpectOldOrRestored("ibdata1");

    auto rerun = RestoreInto(1, {"--until", target});
    ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
    EXPECT_EQ(Rows(1), expected);
    EXPECT_TRUE(core::PollUntil([&] { return Rows(0) == expected; }, std::chrono::seconds(10)))
        << "the replica was not rebuilt from the restored primary: " << Rows(0);
    EXPECT_EQ(On("triage").exit_code, 0);
    old.ExpectKeptWholeAtANamedPath(killed.err + rerun.err);
  }
}

// Issue 35: `restore --instant --until T`. The base is served on an overlay of its FUSE mount, the
// archived binlogs are replayed onto it before it takes a write, then it is hydrated to local disk
// and the replica re-cloned from it: the rows before T on both instances, the GTID position exactly
// the one after them, and no mount or overlay left.
TEST_F(BinlogPitrTest, ZzDAnInstantRestoreUntilReplaysOnTheServedBaseThenHydrates) {
  if (std::string reason = FuseUnavailableReason(); !reason.empty())
    GTEST_SKIP() << "FUSE is not usable here: " << reason;
  // Instance 1 is the primary since the test before.
  Insert(1, 200, "i1");
  const std::string expected = Rows(1);
  const std::string after_i1 = Sql(1, "SELECT @@gtid_binlog_pos");
  const std::string target = MarkTime();
  Insert(1, 201, "i2");
  Archive();
  const std::string data_dir = sc_->instance(1).data_dir;

  auto restored = RestoreInto(1, {"--until", target, "--instant", "--json"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_NE(restored.out.find("\"event\":\"writable\""), std::string::npos) << restored.out;
  auto summary = nlohmann::json::parse(LastLine(restored.out));
  EXPECT_TRUE(summary.contains("instant")) << restored.out;
  EXPECT_EQ(Rows(1), expected);
  EXPECT_EQ(Sql(1, "SELECT @@gtid_binlog_pos"), after_i1);
  EXPECT_TRUE(core::PollUntil([&] { return Rows(0) == expected; }, std::chrono::seconds(10)))
      << "the replica was not re-cloned from the restored primary: " << Rows(0);
  EXPECT_FALSE(std::filesystem::is_symlink(data_dir));
  EXPECT_FALSE(HastewardFuseMountUnder(data_dir + ".hasteward-instant"));
  auto triage = On("triage");
  EXPECT_EQ(triage.exit_code, 0) << triage.out << triage.err;
}

}  // namespace
}  // namespace hasteward::testing
