// WalBlockReferenceReader on a real PostgreSQL 15's WAL, with pg_waldump as the oracle: over the
// interval of a workload (inserts, updates, deletes, a new table, TRUNCATE, CREATE DATABASE with
// both strategies, VACUUM truncating a table, an index build, full-page images after a
// checkpoint (plain and pglz-compressed), a 100 KiB record over pages and a record over a segment
// boundary) the set of (relation, fork, block) it reads equals the set pg_waldump prints, record
// for record; the changes without block references are read whole.
#include <cstdio>
#include <regex>
#include <set>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>

#include "core/fd.h"
#include "engine/postgres/triage_timeline.h"
#include "engine/postgres/wal_block_refs.h"
#include "engine/postgres/wal_names.h"
#include "support/command.h"
#include "support/sandbox_cluster.h"

namespace hasteward::engine::postgres {
namespace {

using BlockKey = std::tuple<uint32_t, uint32_t, uint32_t, int, uint32_t>;

constexpr char kWaldump[] = "/usr/lib/postgresql/15/bin/pg_waldump";

class WalBlockRefsPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pg = testing::SandboxCluster::Create(
        {.engine = platform::EngineKind::kPostgres, .instances = 1, .name = "walref"});
    ASSERT_TRUE(pg.ok()) << pg.status().ToString();
    pg_ = std::move(*pg);
  }

  std::string Sql(const std::string& sql, const std::string& database = "") {
    auto out = pg_->Sql(0, sql, database);
    EXPECT_TRUE(out.ok()) << sql << ": " << out.status().ToString() << "\n" << pg_->LogTail(0);
    std::string text = out.ok() ? *out : "";
    while (!text.empty() && text.back() == '\n')
      text.pop_back();
    return text;
  }
  uint64_t Lsn(const std::string& sql) {
    auto lsn = ParseLsn(Sql(sql));
    EXPECT_TRUE(lsn.has_value()) << sql;
    return lsn.value_or(0);
  }
  uint32_t Oid(const std::string& sql) { return static_cast<uint32_t>(std::stoul(Sql(sql))); }
  std::string WalDir() const { return pg_->cluster().instances[0].data_dir + "/pg_wal"; }

  // Feeds the segments of [from, to) from pg_wal to a reader.
  void Read(WalBlockReferenceReader& reader, uint64_t from, uint64_t to) {
    for (uint64_t segment = from / kWalSegmentBytes; segment <= (to - 1) / kWalSegmentBytes;
         ++segment) {
      auto bytes = core::ReadFileToString(WalDir() + "/" + WalSegmentFileName(1, segment));
      ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
      auto status = reader.AddSegment(segment * kWalSegmentBytes, *bytes);
      ASSERT_TRUE(status.ok()) << status.ToString();
    }
  }

  std::unique_ptr<testing::SandboxCluster> pg_;
};

struct WaldumpView {
  std::set<BlockKey> blocks;
  size_t records = 0;
  bool compressed_images = false;  // a full-page image compressed with pglz
};

// pg_waldump's block references over [from, to) and its record count.
WaldumpView Waldump(const std::string& wal_dir, uint64_t from, uint64_t to) {
  auto run = testing::RunCommand({kWaldump, "--path=" + wal_dir, "--start=" + FormatLsn(from),
                                  "--end=" + FormatLsn(to), "--bkp-details"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  static const std::regex kBlock(
      "blkref #[0-9]+: rel ([0-9]+)/([0-9]+)/([0-9]+)(?: fork ([a-z]+))? blk ([0-9]+)");
  static const std::map<std::string, int> kForks = {
      {"", 0}, {"main", 0}, {"fsm", 1}, {"vm", 2}, {"init", 3}};
  std::set<BlockKey> blocks;
  for (auto it = std::sregex_iterator(run.out.begin(), run.out.end(), kBlock);
       it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    blocks.insert({static_cast<uint32_t>(std::stoul(m[1])), static_cast<uint32_t>(std::stoul(m[2])),
                   static_cast<uint32_t>(std::stoul(m[3])), kForks.at(m[4].str()),
                   static_cast<uint32_t>(std::stoul(m[5]))});
  }
  size_t records = 0;
  for (size_t at = run.out.find("rmgr: "); at != std::string::npos;
       at = run.out.find("rmgr: ", at + 1))
    ++records;
  return {blocks, records, run.out.find("method: pglz") != std::string::npos};
}

std::set<BlockKey> ReaderBlockKeys(const ChangedBlocks& changed) {
  std::set<BlockKey> blocks;
  changed.ForEachBlock([&](const RelationFork& fork, uint32_t block) {
    blocks.insert(
        {fork.tablespace, fork.database, fork.relfilenode, static_cast<int>(fork.fork), block});
  });
  return blocks;
}

TEST_F(WalBlockRefsPostgresTest, BlocksEqualPgWaldumpsOverAWorkload) {
  Sql("CREATE TABLE keep (id int PRIMARY KEY, v text);"
      "INSERT INTO keep SELECT g, 'x' FROM generate_series(1, 5000) g;"
      "CREATE TABLE gone AS SELECT generate_series(1, 1000) AS id;"
      // Vacuumed and frozen before the interval, and no autovacuum: nothing writes it after.
      "CREATE TABLE untouched WITH (autovacuum_enabled = off) AS "
      "SELECT generate_series(1, 1000) AS id;"
      "VACUUM (FREEZE) untouched;"
      "CHECKPOINT;");
  const uint32_t database = Oid("SELECT oid FROM pg_database WHERE datname = 'postgres'");
  const uint32_t untouched = Oid("SELECT pg_relation_filenode('untouched')");
  const uint64_t from = Lsn("SELECT pg_current_wal_insert_lsn()");

  Sql("INSERT INTO keep SELECT g, repeat('y', 100) FROM generate_series(5001, 30000) g;"
      // VACUUM truncates the emptied tail (before any update moves rows there): smgr truncate.
      "DELETE FROM keep WHERE id > 20000;"
      "VACUUM keep;"
      "UPDATE keep SET v = 'z' WHERE id % 7 = 0;"
      "DELETE FROM keep WHERE id % 11 = 0;"
      "CREATE TABLE fresh AS SELECT g AS id FROM generate_series(1, 3000) g;"
      "TRUNCATE gone;"
      "CREATE DATABASE copied STRATEGY FILE_COPY;"
      "CREATE DATABASE logged STRATEGY WAL_LOG;"
      "CREATE INDEX keep_v ON keep (v);"
      "VACUUM keep;"
      // After a checkpoint the first change of each page logs its full image.
      "CHECKPOINT;"
      "UPDATE keep SET v = v || 'w' WHERE id < 1500;"
      "ALTER SYSTEM SET wal_compression = 'pglz';"
      "SELECT pg_reload_conf();");
  // Then compressed images (their header holds the hole's length): once a new session sees the
  // setting, the sessions after it do too.
  for (int i = 0; i < 200 && Sql("SHOW wal_compression") != "pglz"; ++i)
    std::this_thread::yield();
  ASSERT_EQ(Sql("SHOW wal_compression"), "pglz");
  Sql("CHECKPOINT;"
      "UPDATE keep SET v = v || 'c' WHERE id < 3000;"
      "SELECT pg_logical_emit_message(false, 'walref', repeat('m', 100000));");
  // A record longer than what is left of the segment runs over into the next one.
  const uint64_t before = Lsn("SELECT pg_current_wal_insert_lsn()");
  const uint64_t left = kWalSegmentBytes - before % kWalSegmentBytes;
  Sql("SELECT pg_logical_emit_message(false, 'walref', repeat('s', " +
      std::to_string(left + 100000) + "));");
  const uint64_t to = Lsn("SELECT pg_current_wal_insert_lsn()");
  ASSERT_GT(to / kWalSegmentBytes, before / kWalSegmentBytes);
  Sql("SELECT pg_switch_wal();");  // every record before `to` is now in the files

  WalBlockReferenceReader reader(from, to);
  Read(reader, from, to);
  ASSERT_TRUE(reader.Covered());
  const WaldumpView dump = Waldump(WalDir(), from, to);
  const std::set<BlockKey>& expected = dump.blocks;
  const size_t records = dump.records;
  ASSERT_GT(expected.size(), 1000u);
  EXPECT_TRUE(dump.compressed_images);
  const std::set<BlockKey> found = ReaderBlockKeys(reader.Blocks());
  EXPECT_EQ(found, expected);
  EXPECT_EQ(reader.Blocks().BlockCount(), expected.size());
  EXPECT_EQ(reader.RecordCount(), records);
  std::printf("[figure] %zu records, %zu distinct blocks over %.1f MiB of WAL\n", records,
              expected.size(), static_cast<double>(to - from) / (1 << 20));

  // What changed without block references is read whole; what did not change is not.
  const ChangedBlocks& changed = reader.Blocks();
  const uint32_t keep = Oid("SELECT pg_relation_filenode('keep')");
  const uint32_t gone = Oid("SELECT pg_relation_filenode('gone')");
  const uint32_t copied = Oid("SELECT oid FROM pg_database WHERE datname = 'copied'");
  const uint32_t logged = Oid("SELECT oid FROM pg_database WHERE datname = 'logged'");
  EXPECT_TRUE(changed.MayHaveChanged({1663, database, keep, ForkNumber::kFsm}, 100000));
  EXPECT_TRUE(changed.MayHaveChanged({1663, database, gone, ForkNumber::kMain}, 100000));
  EXPECT_TRUE(changed.MayHaveChanged({1663, copied, 1259, ForkNumber::kMain}, 0));
  EXPECT_TRUE(changed.MayHaveChanged({1663, logged, 1259, ForkNumber::kVisibilityMap}, 5));
  EXPECT_FALSE(changed.MayHaveChanged({1663, database, untouched, ForkNumber::kMain}, 0));
}

}  // namespace
}  // namespace hasteward::engine::postgres
