// Incremental native PostgreSQL backups end to end on a real sandbox cluster, driving the
// hasteward binary: a second native backup with a parent reads only the blocks the WAL since the
// parent's start changed (a contiguous range and scattered rows updated, a new table, a
// truncated and a dropped one), reuses the parent's blobs for the rest, and is a complete tree:
// stock `restic restore` of it gives a data directory pg_verifybackup accepts and postgres
// starts on with every table as the source held it at the backup, and `hasteward restore` of it
// gives the same. The incremental read is the default; `--full` and `--no-incremental` read
// everything; a parent whose WAL is gone (no archive, its start
// segment recycled from pg_wal) makes the backup read everything and say why.
#include <filesystem>
#include <iostream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cluster_env.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/rescued_postgres.h"
#include "support/sandbox_cluster.h"
#include "support/snapshot_tags.h"
#include "support/table_sums.h"

namespace hasteward::testing {
namespace {

constexpr uint64_t kSegmentBytes = uint64_t{16} << 20;  // the server's WAL segment size

class NativeIncrementalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = SandboxCluster::Create(
        {.engine = platform::EngineKind::kPostgres, .instances = 1, .name = "shop", .ns = "inc"});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    pg_ = std::move(*c);
    ASSERT_EQ(Hs({"repo", "init"}).exit_code, 0);
    // About 2,500 8 KiB pages of accounts: a few changed rows touch a small part of them.
    Sql("CREATE TABLE accounts (id int PRIMARY KEY, balance bigint, note text);"
        "INSERT INTO accounts SELECT g, g * 7, md5(g::text) FROM generate_series(1, 200000) g;"
        "CREATE TABLE doomed AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g;"
        "CREATE TABLE emptied AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) "
        "g;");
    Sql(kTableSumsFunction);
    // Hint bits set now, before any parent: the cluster has data checksums, so the first read
    // that sets them would log every page and the next backup would rightly read them all.
    Sql("VACUUM (FREEZE, ANALYZE)");
  }

  CmdResult Hs(std::vector<std::string> args) {
    return ClusterEnv::On(hs_, *pg_, "cnpg").Hs(std::move(args));
  }

  std::string Sql(const std::string& sql) {
    auto r = pg_->Sql(0, sql);
    EXPECT_TRUE(r.ok()) << r.status().ToString() << " for " << sql;
    return r.ok() ? *r : "";
  }

  uint64_t DatabaseBytes() {
    return std::stoull(Sql("SELECT sum(pg_database_size(oid)) FROM pg_database"));
  }

  // The newest snapshot's tags as a map.
  std::map<std::string, std::string> NewestTags() { return NewestSnapshotTags(hs_); }

  // A native backup with `flags`; its output and the new snapshot's tags.
  std::map<std::string, std::string> Backup(std::vector<std::string> flags, std::string* out) {
    // No --incremental: reading only what changed is the default.
    std::vector<std::string> args = {"backup", "--method", "native"};
    args.insert(args.end(), flags.begin(), flags.end());
    auto r = Hs(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    *out = r.out + r.err;
    return NewestTags();
  }

  // Stock restic restores the snapshot; pg_verifybackup accepts the tree and postgres started on
  // it holds `expected` checksums.
  void ExpectStockResticRestores(const std::string& id, const std::string& expected) {
    RescuedPostgres rescued =
        RescueWithStockRestic(hs_, id, "rescued-" + id.substr(0, 8), "inc/shop/data",
                              pg_->instance(0).port + 1000, kChecksumsSql);
    EXPECT_EQ(rescued.verify_exit, 0) << rescued.verify_output;
    ASSERT_TRUE(rescued.started) << rescued.start_output;
    EXPECT_EQ(rescued.rows, expected);
  }

  HastewardEnv hs_{"hs-incremental-", "incremental-test"};
  std::unique_ptr<SandboxCluster> pg_;
};

TEST_F(NativeIncrementalTest, SecondBackupReadsOnlyChangedBlocksAndRestoresWhole) {
  std::string out;
  auto parent = Backup({}, &out);
  EXPECT_EQ(parent["read"], "full");
  EXPECT_EQ(parent["reason"], "no-parent") << out;
  EXPECT_EQ(parent["incremental_run"], "0");

  Sql("UPDATE accounts SET balance = balance + 1 WHERE id BETWEEN 50000 AND 52000;"
      "UPDATE accounts SET note = 'scattered' WHERE id % 20000 = 7;"
      "CREATE TABLE fresh AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 3000) g;"
      "TRUNCATE emptied; DROP TABLE doomed;");
  std::string expected = Sql(kChecksumsSql);
  uint64_t database = DatabaseBytes();

  auto second = Backup({}, &out);
  EXPECT_EQ(second["read"], "incremental") << out;
  EXPECT_EQ(second["parent"], parent["id"]);
  EXPECT_EQ(second["incremental_run"], "1");
  EXPECT_EQ(second["parent_proof"], "wal");  // repo check's audit trusts it for that
  EXPECT_NE(out.find("read: incremental from parent " + parent["id"].substr(0, 8)),
            std::string::npos)
      << out;
  uint64_t read = std::stoull(second["bytes_read"]);
  EXPECT_GT(read, 0u);
  EXPECT_LT(read, database / 4) << "the incremental backup read " << read << " of " << database
                                << " bytes: " << out;
  EXPECT_GT(std::stoull(second["changed_blocks"]), 0u);
  // The WAL since the parent is read only as far as it holds records (a backup's start switches
  // segments, leaving a segment's rest unused) and the tree's WAL only up to its stop: less than
  // the segment files that span the two backups.
  uint64_t wal_read = std::stoull(second["wal_bytes_read"]);
  uint64_t span = std::stoull(Sql("SELECT pg_wal_lsn_diff('" + second["stop_lsn"] + "', '" +
                                  parent["start_lsn"] + "')::bigint"));
  uint64_t segment_files = (span / kSegmentBytes + 2) * kSegmentBytes;
  EXPECT_GT(wal_read, 0u);
  EXPECT_LT(wal_read, segment_files - kSegmentBytes / 2) << "WAL read " << wal_read << ": " << out;
  std::cout << "incremental read " << read << " of " << database << " bytes, "
            << second["changed_blocks"] << " changed blocks, " << wal_read << " bytes of WAL over "
            << span << " bytes of WAL positions: " << out;
  // The blocks it did not read are the parent's blobs: the tree is complete.
  ExpectStockResticRestores(second["id"], expected);

  // `hasteward restore` of the incremental snapshot gives the same tables.
  ASSERT_EQ(Hs({"instance", "stop", "-i", "0"}).exit_code, 0);
  auto restored = Hs({"restore", "--snapshot", second["id"], "--yes", "--confirm-rewind"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(Sql(kChecksumsSql), expected);
  EXPECT_EQ(hs_.Restic({"check", "--read-data"}).exit_code, 0);
}

TEST_F(NativeIncrementalTest, FullOrNoIncrementalReadsEveryPage) {
  std::string out;
  auto parent = Backup({}, &out);
  Sql("UPDATE accounts SET note = 'after' WHERE id % 1000 = 3;");
  std::string expected = Sql(kChecksumsSql);
  auto full = Backup({"--full", "--json"}, &out);
  EXPECT_EQ(full["read"], "full");
  EXPECT_EQ(full["reason"], "requested");
  EXPECT_EQ(full.count("parent"), 0u);
  EXPECT_GT(std::stoull(full["bytes_read"]), DatabaseBytes() / 2);
  // The --json summary says the same as the tags.
  size_t key = out.find("\"message_type\":\"summary\"");
  ASSERT_NE(key, std::string::npos) << out;
  size_t at = out.rfind('\n', key) == std::string::npos ? 0 : out.rfind('\n', key) + 1;
  auto summary = nlohmann::json::parse(out.substr(at, out.find('\n', key) - at));
  EXPECT_EQ(summary["read"], "full");
  EXPECT_EQ(summary["read_reason"], "requested");
  EXPECT_EQ(summary["data_bytes_read"].get<uint64_t>(), std::stoull(full["bytes_read"]));
  EXPECT_EQ(summary["snapshot_id"], full["id"]);

  // --no-incremental turns the default off: everything is read, whatever the parent.
  auto opted_out = Backup({"--no-incremental"}, &out);
  EXPECT_EQ(opted_out["read"], "full") << out;
  EXPECT_EQ(opted_out["reason"], "requested");
  EXPECT_GT(std::stoull(opted_out["bytes_read"]), DatabaseBytes() / 2);
  ExpectStockResticRestores(full["id"], expected);
}

TEST_F(NativeIncrementalTest, ParentWhoseWalIsGoneMakesTheBackupReadEverything) {
  std::string out;
  auto parent = Backup({}, &out);
  std::string segment = Sql("SELECT pg_walfile_name('" + parent["start_lsn"] + "')");
  segment.pop_back();
  std::string wal = pg_->instance(0).data_dir + "/pg_wal/" + segment;
  Sql("ALTER SYSTEM SET wal_keep_size = 0");
  Sql("ALTER SYSTEM SET min_wal_size = '32MB'");
  Sql("SELECT pg_reload_conf()");
  // Each switch and checkpoint moves the oldest segment the server keeps forward: a few remove
  // (or recycle under another name) the one the parent started in. No archive holds it.
  for (int i = 0; i < 10 && std::filesystem::exists(wal); ++i) {
    Sql("INSERT INTO emptied SELECT g, 'x' FROM generate_series(1, 10) g");
    Sql("SELECT pg_switch_wal()");
    Sql("CHECKPOINT");
  }
  ASSERT_FALSE(std::filesystem::exists(wal)) << wal << " is still in pg_wal";
  std::string expected = Sql(kChecksumsSql);
  auto second = Backup({}, &out);
  EXPECT_EQ(second["read"], "full") << out;
  EXPECT_EQ(second["reason"], "wal-missing") << out;
  EXPECT_NE(out.find(segment), std::string::npos)
      << "the output names the missing segment: " << out;
  EXPECT_GT(std::stoull(second["bytes_read"]), DatabaseBytes() / 2);
  ExpectStockResticRestores(second["id"], expected);
}

// pg_checksums rewrites every page without writing WAL: the parent's pages are of the other
// checksum state, and no WAL names them changed.
TEST_F(NativeIncrementalTest, ChecksumsTurnedOffSinceTheParentMakeTheBackupReadEverything) {
  std::string out;
  auto parent = Backup({}, &out);
  ASSERT_EQ(parent["data_checksums"], "on") << "the sandbox initdb's with data checksums";
  ASSERT_EQ(Hs({"instance", "stop", "-i", "0"}).exit_code, 0);
  const platform::Instance& instance = pg_->instance(0);
  std::vector<std::string> argv = {"/usr/lib/postgresql/15/bin/pg_checksums", "--disable", "-D",
                                   instance.data_dir};
  if (!instance.os_user.empty()) {
    argv.insert(argv.begin(), {"runuser", "-u", instance.os_user, "--"});
  }
  auto disabled = RunCommand(argv);
  ASSERT_EQ(disabled.exit_code, 0) << disabled.out << disabled.err;
  ASSERT_EQ(Hs({"instance", "start", "-i", "0"}).exit_code, 0);
  Sql("UPDATE accounts SET note = 'unchecked' WHERE id % 5000 = 1;");
  std::string expected = Sql(kChecksumsSql);
  auto second = Backup({}, &out);
  EXPECT_EQ(second["read"], "full") << out;
  EXPECT_EQ(second["reason"], "checksums-changed") << out;
  EXPECT_EQ(second["data_checksums"], "off");
  ExpectStockResticRestores(second["id"], expected);
}

}  // namespace
}  // namespace hasteward::testing
