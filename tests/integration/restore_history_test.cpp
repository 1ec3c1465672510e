// Every restore starts a new history, and what compares copies compares histories (issue 49), on a
// real PostgreSQL sandbox cluster archiving into a REST repository, driving the hasteward binary:
// - a plain native restore promotes the restored server onto a new timeline, above every one the
//   repository and the cluster know, and the archive goes on growing on it (before, the restored
//   server took the names its old history had archived, and wal-push refused them forever);
// - the first native backup after a restore never takes pages from a snapshot of the abandoned
//   history (before, it took the newest snapshot as its parent and brought back rows the restore
//   had removed); a parent of another history on the same timeline (a restore the way releases
//   before this one did it, reproduced here by hand) is caught by comparing the parent's stored WAL
//   with the live server's, and the backup reads everything; stock restic restores each backup to
//   exactly the live data;
// - the discard gate refuses to replace the commits made on a restored history with a snapshot of
//   the abandoned one (before, it compared positions only and replaced them with exit 0).
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/poll_until.h"
#include "support/archived_cluster.h"
#include "support/cluster_env.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/rescued_postgres.h"
#include "support/rest_test_server.h"
#include "support/sandbox_cluster.h"
#include "support/server_user_file.h"
#include "support/snapshot_tags.h"
#include "support/table_sums.h"

namespace hasteward::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kPassword[] = "history-test";
constexpr int kExitNewerData = 30;  // docs/exit-codes.md
constexpr int kExitCorruption = 13;

class RestoreHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto archived = StartArchivedCluster(
        hs_,
        {.engine = platform::EngineKind::kPostgres, .instances = 1, .name = "shop", .ns = "hist"},
        kPassword);
    ASSERT_TRUE(archived.ok()) << archived.status().ToString();
    server_ = std::move(archived->server);
    pg_ = std::move(archived->cluster);
    password_file_ = archived->password_file;
    // About 2,500 pages: an update of every tenth row touches most of them.
    Sql("CREATE TABLE accounts (id int PRIMARY KEY, balance bigint);"
        "INSERT INTO accounts SELECT g, g * 7 FROM generate_series(1, 200000) g;"
        "CREATE TABLE filler (id bigserial PRIMARY KEY, v text)");
    Sql(kTableSumsFunction);
    Sql("VACUUM (FREEZE, ANALYZE)");
  }

  CmdResult Hs(std::vector<std::string> args) {
    return ClusterEnv::On(hs_, *pg_, "cnpg", {"--password-file", password_file_})
        .Hs(std::move(args));
  }

  std::string Sql(const std::string& sql) {
    auto r = pg_->Sql(0, sql);
    EXPECT_TRUE(r.ok()) << r.status().ToString() << " for " << sql;
    return r.ok() ? r->substr(0, r->find('\n')) : "";
  }

  // A native backup; the new snapshot's tags (with "id").
  std::map<std::string, std::string> Backup() {
    auto r = Hs({"backup", "--method", "native"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto tags = NewestSnapshotTags(hs_, {"--tag", "method=native"});
    tags["output"] = r.out + r.err;
    return tags;
  }

  CmdResult StopAndRestore(const std::string& snapshot, std::vector<std::string> flags = {}) {
    auto stopped = Hs({"instance", "stop", "-i", "0"});
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    std::vector<std::string> args = {"restore", "--snapshot", snapshot, "--yes"};
    args.insert(args.end(), flags.begin(), flags.end());
    return Hs(args);
  }

  // Writes until the server's WAL is past `lsn`: the new history then covers the positions of
  // everything the abandoned one recorded up to there.
  void WriteUntilPast(const std::string& lsn) {
    auto past = core::PollUntil(
        [&] {
          Sql("INSERT INTO filler (v) SELECT md5(g::text) FROM generate_series(1, 20000) g");
          return Sql("SELECT pg_current_wal_lsn() > '" + lsn + "'::pg_lsn") == "t";
        },
        std::chrono::seconds(120), std::chrono::milliseconds(0));
    ASSERT_TRUE(past) << "the WAL never passed " << lsn;
  }

  void ExpectStockResticRestores(const std::string& id, const std::string& expected) {
    RescuedPostgres rescued =
        RescueWithStockRestic(hs_, id, "rescued-" + id.substr(0, 8), "hist/shop/data",
                              pg_->instance(0).port + 1000, kChecksumsSql);
    EXPECT_EQ(rescued.verify_exit, 0) << rescued.verify_output;
    ASSERT_TRUE(rescued.started) << rescued.start_output;
    EXPECT_EQ(rescued.rows.substr(0, rescued.rows.find('\n')), expected);
  }

  // Completes the current segment and waits until the archiver reports it archived.
  void ExpectArchived() {
    std::string segment = Sql("SELECT pg_walfile_name(pg_switch_wal())");
    bool archived = core::PollUntil(
        [&] {
          return Sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") >= segment;
        },
        std::chrono::seconds(60), std::chrono::milliseconds(250));
    EXPECT_TRUE(archived) << segment << " was not archived; pg_stat_archiver: "
                          << Sql("SELECT failed_count || ' failed, last ' || "
                                 "coalesce(last_failed_wal, '-') FROM pg_stat_archiver");
  }

  void ExpectRepoCheckNamesWhatReleasesBeforeTheProofWrote(const std::string& b2,
                                                           const std::string& b3);

  HastewardEnv hs_{"hs-history-", "history-test"};
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<SandboxCluster> pg_;
  std::string password_file_;
};

TEST_F(RestoreHistoryTest, ARestoreStartsANewTimelineAndTheNextBackupNeverReadsTheOldHistory) {
  auto b1 = Backup();
  Sql("UPDATE accounts SET balance = -balance WHERE id % 10 = 0");
  auto b2 = Backup();
  ASSERT_EQ(b2["read"], "incremental") << b2["output"];

  auto restored = StopAndRestore(b1["id"], {"--confirm-rewind"});  // back past B2's data
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_NE((restored.out + restored.err).find("starts a new history on timeline 2"),
            std::string::npos)
      << restored.out << restored.err;
  EXPECT_EQ(Sql("SELECT timeline_id FROM pg_control_checkpoint()"), "2");
  // The restored server's segments take new names: the archive goes on.
  Sql("INSERT INTO filler (v) VALUES ('after the restore')");
  ExpectArchived();

  // Rows B2 recorded as negative are positive again in the live data; past B2's start, a parent
  // chosen by position would lend them back.
  WriteUntilPast(b2["stop_lsn"]);
  std::string live = Sql(kChecksumsSql);
  auto b3 = Backup();
  EXPECT_NE(b3["parent"], b2["id"]) << b3["output"];
  EXPECT_EQ(b3["read"], "full");
  EXPECT_EQ(b3["reason"], "timeline-changed");
  EXPECT_EQ(b3["timeline"], "2");
  EXPECT_EQ(b3["timeline_history"].rfind("1:", 0), 0u) << b3["timeline_history"];
  ExpectStockResticRestores(b3["id"], live);

  // On the new history the next backup reads incrementally again, from B3.
  Sql("UPDATE accounts SET balance = 0 WHERE id < 100");
  std::string later = Sql(kChecksumsSql);
  auto b4 = Backup();
  EXPECT_EQ(b4["read"], "incremental") << b4["output"];
  EXPECT_EQ(b4["parent"], b3["id"]);
  ExpectStockResticRestores(b4["id"], later);
  // Its tree carries the timeline's history, as a base backup's does: a restore of it follows
  // timeline 2 from where it left timeline 1.
  auto listed = hs_.Restic({"ls", b4["id"], "/hist/shop/data/pg_wal/00000002.history"});
  EXPECT_NE(listed.out.find("00000002.history"), std::string::npos) << listed.out << listed.err;

  // A second restore of B1 takes neither timeline 1 nor 2, which other histories hold.
  auto again = StopAndRestore(b1["id"], {"--confirm-rewind"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Sql("SELECT timeline_id FROM pg_control_checkpoint()"), "3");
  ExpectArchived();
}

// A restore as releases before this one made it (the backup's tree started by crash recovery, on
// the backup's timeline): the live history and B2's share timeline 1 and positions. The parent's
// own WAL, compared with the live server's, tells them apart.
TEST_F(RestoreHistoryTest, AParentOfAnotherHistoryOnTheSameTimelineIsNeverUsed) {
  auto b1 = Backup();
  Sql("UPDATE accounts SET balance = -balance WHERE id % 10 = 0");
  auto b2 = Backup();
  ASSERT_EQ(b2["read"], "incremental") << b2["output"];
  // The abandoned history goes on a few segments, all archived: the names the restored history
  // will reuse.
  for (int i = 0; i < 4; ++i) {
    Sql("INSERT INTO filler (v) VALUES ('abandoned " + std::to_string(i) + "')");
    ExpectArchived();
  }

  ASSERT_EQ(Hs({"instance", "stop", "-i", "0"}).exit_code, 0);
  const platform::Instance& instance = pg_->instance(0);
  const std::string rescued = hs_.Path("legacy");
  ASSERT_EQ(hs_.Restic({"restore", b1["id"], "--target", rescued}).exit_code, 0);
  fs::remove_all(instance.data_dir);
  fs::rename(rescued + "/hist/shop/data", instance.data_dir);
  ASSERT_EQ(Hs({"instance", "start", "-i", "0"}).exit_code, 0);
  ASSERT_EQ(Sql("SELECT timeline_id FROM pg_control_checkpoint()"), "1");

  WriteUntilPast(b2["stop_lsn"]);
  std::string live = Sql(kChecksumsSql);
  auto b3 = Backup();
  EXPECT_EQ(b3["read"], "full") << b3["output"];
  EXPECT_EQ(b3["reason"], "parent-not-ancestor") << b3["output"];
  EXPECT_NE(b3["output"].find("another history"), std::string::npos) << b3["output"];
  ExpectStockResticRestores(b3["id"], live);
  ExpectRepoCheckNamesWhatReleasesBeforeTheProofWrote(b2["id"], b3["id"]);
}

// `repo check` on that repository: nothing to distrust (B2 proved its parent, B3 read everything).
// Then B3's tags rewritten as releases before the proof wrote them for the same backup
// (incremental on B2, no proof): the check names it, with the WAL segment of which the
// repository holds two copies (the archive's, the abandoned history; B3's tree's, the live one).
void RestoreHistoryTest::ExpectRepoCheckNamesWhatReleasesBeforeTheProofWrote(
    const std::string& b2, const std::string& b3) {
  // The stalled archiver's pushes hold shared locks a moment at a time: the check waits them out.
  const std::vector<std::string> check_args = {"repo", "check", "--lock-wait", "120"};
  auto clean = Hs(check_args);
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_EQ(clean.err.find("incremental snapshot"), std::string::npos) << clean.err;

  auto forged =
      hs_.Restic({"tag", "--remove", "read=full", "--remove", "reason=parent-not-ancestor", "--add",
                  "read=incremental", "--add", "parent=" + b2, b3});
  ASSERT_EQ(forged.exit_code, 0) << forged.out << forged.err;
  const std::string legacy = NewestSnapshotTags(hs_, {"--tag", "parent=" + b2})["id"];
  ASSERT_FALSE(legacy.empty());
  auto check = Hs(check_args);
  EXPECT_EQ(check.exit_code, kExitCorruption) << check.out << check.err;
  EXPECT_NE(check.err.find("error: incremental snapshot " + legacy.substr(0, 8) + " (parent " +
                           b2.substr(0, 8) + ", two-histories)"),
            std::string::npos)
      << check.err;
  EXPECT_NE(check.err.find("differs between snapshot " + legacy.substr(0, 8) +
                           " and the WAL "
                           "archive"),
            std::string::npos)
      << check.err;
  auto json = Hs({"repo", "check", "--lock-wait", "120", "--json"});
  EXPECT_NE(json.out.find("\"incrementals_on_another_history\":1"), std::string::npos) << json.out;
}

TEST_F(RestoreHistoryTest, CommitsOnARestoredHistoryAreNotReplacedByTheAbandonedOnesSnapshot) {
  auto b1 = Backup();
  Sql("INSERT INTO filler (v) SELECT 'abandoned' FROM generate_series(1, 100)");
  auto b2 = Backup();
  auto restored = StopAndRestore(b1["id"], {"--confirm-rewind"});  // back past B2's data
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  // B2 ended a segment switch past B1: by position the 500 rows lie before B2's end.
  Sql("INSERT INTO filler (v) SELECT 'kept' FROM generate_series(1, 500)");
  ASSERT_EQ(Sql("SELECT pg_current_wal_lsn() < '" + b2["stop_lsn"] + "'::pg_lsn"), "t");
  const std::string kept = Sql("SELECT count(*) FROM filler WHERE v = 'kept'");
  ASSERT_EQ(kept, "500");

  auto refused = StopAndRestore(b2["id"]);
  EXPECT_EQ(refused.exit_code, kExitNewerData) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("refusing to replace data newer"), std::string::npos) << refused.err;
  ASSERT_EQ(Hs({"instance", "start", "-i", "0"}).exit_code, 0);
  EXPECT_EQ(Sql("SELECT count(*) FROM filler WHERE v = 'kept'"), "500");

  // With consent the restored history's data directory is kept aside and named.
  auto rewound = StopAndRestore(b2["id"], {"--confirm-rewind"});
  ASSERT_EQ(rewound.exit_code, 0) << rewound.err;
  EXPECT_NE((rewound.out + rewound.err).find("kept the previous data directory"), std::string::npos)
      << rewound.out << rewound.err;
  EXPECT_EQ(Sql("SELECT count(*) FROM filler WHERE v = 'kept'"), "0");
  EXPECT_EQ(Sql("SELECT count(*) FROM filler WHERE v = 'abandoned'"), "100");
}

}  // namespace
}  // namespace hasteward::testing
