// Point-in-time recovery of PostgreSQL across a timeline switch, on a real sandbox cluster of a
// primary and a streaming standby, driving the hasteward binary: `archive enable` prepares both
// instances, so the standby a switchover promotes archives its new timeline (wal-push stores the
// `00000002.history` file, found in the repository with restic); `pitr status` shows the base's
// window continuing from timeline 1 onto timeline 2; `restore --until T` with T after the
// switchover follows the switch (r1 from the old primary and r2 from the new one are back, r3 after
// T is not), and the other instance streams from the restored one again; a native backup of the
// demoted old primary right after a switchover (its restartpoint still on timeline 1) is taken
// and its stock restic copy holds the rows of both timelines; a time right before the fork of a
// point-in-time restore's timeline is restored along the new timeline.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "support/archived_cluster.h"
#include "support/cluster_env.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/rescued_postgres.h"
#include "support/rest_test_server.h"
#include "support/sandbox_cluster.h"
#include "support/server_user_file.h"
#include "support/snapshot_tags.h"

namespace hasteward::testing {
namespace {

constexpr char kPassword[] = "pitr-timeline-test";

std::string FirstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

class PitrTimelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto archived = StartArchivedCluster(
        hs_, {.engine = platform::EngineKind::kPostgres, .instances = 2, .name = "tl", .ns = "ptl"},
        kPassword);
    ASSERT_TRUE(archived.ok()) << archived.status().ToString();
    server_ = std::move(archived->server);
    pg_ = std::move(archived->cluster);
    password_file_ = archived->password_file;
    Sql(0, "CREATE TABLE markers (id text PRIMARY KEY)");
  }

  // `hasteward <verb> [sub] -e cnpg -c tl -n ptl --password-file F <args...>`.
  CmdResult Hs(const std::string& verb, std::vector<std::string> args = {}) {
    args.insert(args.begin(), verb);
    return ClusterEnv::On(hs_, *pg_, "cnpg", {"--password-file", password_file_})
        .Hs(std::move(args));
  }

  std::string Sql(int ordinal, const std::string& sql) {
    auto r = pg_->Sql(ordinal, sql);
    EXPECT_TRUE(r.ok()) << r.status().ToString() << " for " << sql;
    return r.ok() ? FirstLine(*r) : "";
  }

  void Mark(int ordinal, const std::string& id) {
    Sql(ordinal, "INSERT INTO markers VALUES ('" + id + "')");
  }

  // Polls `sql` on `ordinal` until it answers `want` (30 s).
  bool WaitFor(int ordinal, const std::string& sql, const std::string& want) {
    for (int i = 0; i < 300; ++i) {
      auto r = pg_->Sql(ordinal, sql);
      if (r.ok() && FirstLine(*r) == want) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // Completes the current segment on `ordinal` and waits until it reports it archived.
  void SwitchAndWaitArchived(int ordinal) {
    std::string segment = Sql(ordinal, "SELECT pg_walfile_name(pg_switch_wal())");
    EXPECT_TRUE(WaitFor(
        ordinal,
        "SELECT coalesce(last_archived_wal, '') >= '" + segment + "' FROM pg_stat_archiver", "t"))
        << segment << " was not archived";
  }

  // Whether a WAL snapshot holds the archived file `name` (wal-push tags a history file only by
  // count, "wal_history=1", so the file itself is looked for).
  bool Archived(const std::string& name) {
    auto r = hs_.Restic({"find", "--tag", "type=wal", "--json", name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.find("/" + name + "\"") != std::string::npos;
  }

  HastewardEnv hs_{"hs-pitrtl-", kPassword};
  std::unique_ptr<RestTestServer> server_;  // outlives the cluster, which archives until stopped
  std::unique_ptr<SandboxCluster> pg_;
  std::string password_file_;
};

// Peer regression: CloudNativePG 1.30 fixed a recovery that silently dropped the transactions of
// later timelines (cloudnative-pg #10818). r2 was committed on timeline 2 only: the restore must
// bring it back, and the plan names the timeline it follows (never "latest" read from a stale
// view).
TEST_F(PitrTimelineTest, RestoreUntilAfterASwitchoverFollowsTheNewTimeline) {
  const std::string streaming =
      "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'";
  ASSERT_TRUE(WaitFor(0, streaming, "1"));
  auto backup = Hs("backup", {"--method", "native", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  Mark(0, "r1");
  SwitchAndWaitArchived(0);
  auto switched = Hs("switchover", {"--to", pg_->instance(1).name});
  ASSERT_EQ(switched.exit_code, 0) << switched.out << switched.err << pg_->LogTail(1);
  ASSERT_TRUE(WaitFor(1, "SELECT pg_is_in_recovery()", "f"));
  Mark(1, "r2");
  std::string t = Sql(1,
                      "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                      "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
  Mark(1, "r3");
  SwitchAndWaitArchived(1);

  EXPECT_TRUE(Archived("00000002.history"))
      << "the promoted standby must archive its timeline's history file";
  auto status = Hs("pitr", {"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto base = nlohmann::json::parse(status.out)["bases"].at(0);
  EXPECT_EQ(base["timeline"], 1) << status.out;
  EXPECT_EQ(base["target_timeline"], 2) << status.out;
  ASSERT_EQ(base["timelines"].size(), 2u) << status.out;
  EXPECT_EQ(base["last_segment"].get<std::string>().substr(0, 8), "00000002") << status.out;
  EXPECT_NE(Hs("pitr", {"status"}).out.find("along timelines 1 ("), std::string::npos);

  // Writers stop first; the restore targets the instance the base came from.
  ASSERT_EQ(Hs("instance", {"stop", "-i", "1"}).exit_code, 0);
  ASSERT_EQ(Hs("instance", {"stop", "-i", "0"}).exit_code, 0);
  auto restored = Hs("restore", {"--until", t, "--yes"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  int primary = Sql(0, "SELECT pg_is_in_recovery()") == "f" ? 0 : 1;
  const std::string markers = "SELECT string_agg(id, ',' ORDER BY id) FROM markers";
  EXPECT_EQ(Sql(primary, markers), "r1,r2");
  EXPECT_EQ(Sql(primary, "SELECT pg_is_in_recovery()"), "f");
  EXPECT_TRUE(WaitFor(primary, streaming, "1")) << "the other instance streams from it again";
  EXPECT_TRUE(WaitFor(1 - primary, markers, "r1,r2"));
}

// History property seed 12 (write, backup, switchover, backup): the demoted old primary, now the
// standby a native backup copies, starts its backup at its last restartpoint, still on timeline 1
// until it replays the new primary's first checkpoint (minutes after the promotion), so the WAL to
// the stop lies on two timelines. The incremental read (a parent on timeline 1) exited 23, "moved
// from timeline 1 to 2 during the backup", on every retry until then. It now reads everything
// over the replication protocol, which sends both timelines' WAL, and the copy holds both rows.
TEST_F(PitrTimelineTest, ABackupOfTheDemotedPrimaryRightAfterASwitchoverIsTaken) {
  const std::string streaming =
      "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'";
  ASSERT_TRUE(WaitFor(0, streaming, "1"));
  ASSERT_EQ(Hs("backup", {"--method", "native"}).exit_code, 0);
  Mark(0, "r1");
  auto switched = Hs("switchover", {"--to", pg_->instance(1).name});
  ASSERT_EQ(switched.exit_code, 0) << switched.out << switched.err << pg_->LogTail(1);
  ASSERT_TRUE(WaitFor(1, streaming, "1"));
  Mark(1, "r2");
  const std::string markers = "SELECT string_agg(id, ',' ORDER BY id) FROM markers";
  ASSERT_TRUE(WaitFor(0, markers, "r1,r2"));
  ASSERT_EQ(Sql(0, "SELECT timeline_id FROM pg_control_checkpoint()"), "1")
      << "the old primary made a restartpoint on timeline 2 already: nothing to show";

  auto backup = Hs("backup", {"--method", "native", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  EXPECT_NE(backup.err.find("replays timeline 2, its last restartpoint is on timeline 1"),
            std::string::npos)
      << backup.err;
  std::string id = nlohmann::json::parse(LastLine(backup.out)).value("snapshot_id", "");
  // It ends on timeline 2: the manifest lists that range first (recorded as timeline 1, ending at
  // the switch, a point-in-time restore chose it for targets before its real end).
  auto tags = NewestSnapshotTags(hs_, {"--tag", "method=native"});
  EXPECT_EQ(tags["timeline"], "2") << "stop_lsn " << tags["stop_lsn"];
  RescuedPostgres rescued =
      RescueWithStockRestic(hs_, id, "rescued", "ptl/tl/data", pg_->instance(0).port + 1000,
                            "SELECT pg_is_in_recovery()::text || ' ' || (" + markers + ")");
  EXPECT_EQ(rescued.verify_exit, 0) << rescued.verify_output;
  ASSERT_TRUE(rescued.started) << rescued.start_output;
  EXPECT_EQ(FirstLine(rescued.rows), "false r1,r2");
}

// History property seed 2518: a time T whose timeline a restore left right after it. r1 is written
// at T and a segment switch follows; `restore --until-lsn` to T's position replays the switch
// (inclusive target), so timeline 2 forks at the segment's end with no transaction between T and
// the fork. `restore --until T` then exited 24 ("no transaction at or after T on timeline 1"): the
// proof read timeline 1 up to its switch only, while replay follows timeline 2 and stops at its
// first commit (r3), with T's data. The proof goes on along the path now.
TEST_F(PitrTimelineTest, ATimeRightBeforeARestoresForkIsRestoredAlongTheNewTimeline) {
  const std::string streaming =
      "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'";
  const std::string markers = "SELECT string_agg(id, ',' ORDER BY id) FROM markers";
  ASSERT_TRUE(WaitFor(0, streaming, "1"));
  ASSERT_EQ(Hs("backup", {"--method", "native"}).exit_code, 0);
  SwitchAndWaitArchived(0);  // the base's segment ends before T
  Mark(0, "r1");
  const std::string lsn = Sql(0, "SELECT pg_current_wal_insert_lsn()");
  const std::string t = Sql(0,
                            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                            "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
  SwitchAndWaitArchived(0);
  Mark(0, "r2");  // after T on timeline 1, abandoned by the first restore
  SwitchAndWaitArchived(0);
  ASSERT_EQ(Hs("instance", {"stop", "-i", "0"}).exit_code, 0);
  auto first = Hs("restore", {"--until-lsn", lsn, "--yes", "--confirm-rewind"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  int primary = Sql(0, "SELECT pg_is_in_recovery()") == "f" ? 0 : 1;
  ASSERT_EQ(Sql(primary, markers), "r1");
  Mark(primary, "r3");  // timeline 2's first commit, after T
  SwitchAndWaitArchived(primary);

  ASSERT_EQ(Hs("instance", {"stop", "-i", std::to_string(primary)}).exit_code, 0);
  auto second = Hs("restore", {"--until", t, "--yes", "--confirm-rewind"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  primary = Sql(0, "SELECT pg_is_in_recovery()") == "f" ? 0 : 1;
  EXPECT_EQ(Sql(primary, markers), "r1");
}

// CI regression: the switchover above failed at catch-up because its candidate had shut down.
// Every instance runs `wal-fetch` as its restore_command, and a standby whose streaming broke (its
// primary stopped) asks it for the next files every few seconds. A failed fetch exited 126, which
// stops recovery, so one failure took the standby down. A standby now gets an exit below 126 and
// asks again: through a repository outage it keeps running, and streams once its primary is back.
TEST_F(PitrTimelineTest, ARepositoryOutageNeverStopsAStandby) {
  const std::string streaming =
      "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'";
  ASSERT_TRUE(WaitFor(0, streaming, "1"));
  // The primary stops while the repository is up: its archiver has nothing left to wait for.
  ASSERT_EQ(Hs("instance", {"stop", "-i", "0"}).exit_code, 0) << pg_->LogTail(0);
  const std::string log = pg_->instance(1).log_file;
  auto before = core::ReadFileToString(log);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  server_->SetOutage(true);
  // Polls until a fetch of the standby has failed on the repository's 503 answers (its error is
  // in the server's log).
  bool fetch_failed = false;
  for (int i = 0; i < 600 && !fetch_failed; ++i) {
    auto text = core::ReadFileToString(log);
    fetch_failed = text.ok() && text->size() > before->size() &&
                   text->find("503", before->size()) != std::string::npos;
    if (!fetch_failed)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(fetch_failed) << "no fetch of the standby failed\n" << pg_->LogTail(1);
  EXPECT_EQ(Sql(1, "SELECT pg_is_in_recovery()"), "t") << pg_->LogTail(1);
  ASSERT_EQ(Hs("instance", {"start", "-i", "0"}).exit_code, 0) << pg_->LogTail(0);
  EXPECT_TRUE(WaitFor(0, streaming, "1")) << pg_->LogTail(1);
  Mark(0, "during-outage");
  EXPECT_TRUE(WaitFor(1, "SELECT count(*) FROM markers WHERE id = 'during-outage'", "1"))
      << pg_->LogTail(1);
  server_->SetOutage(false);  // the primary's archiver catches up before the cluster stops
}

}  // namespace
}  // namespace hasteward::testing
