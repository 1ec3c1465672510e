// Issue 33: a 30-deep chain of native backups under a changing load, on PostgreSQL and MariaDB.
// Between backups the load inserts, updates a contiguous range and scattered rows, deletes,
// creates a table, drops another and rewrites one (VACUUM FULL / OPTIMIZE TABLE); every table's
// checksum is recorded right before each backup, while nothing writes. The first, a middle and the
// 30th snapshot are restored into the cluster: each gives every table back with the recorded
// checksum, and the restored server is clean (PostgreSQL: amcheck on every btree index and heap,
// pg_verifybackup of the snapshot's tree; MariaDB: CHECK TABLE ... EXTENDED says OK for every
// table). Stock `restic check --read-data` passes on the repository, and the chain deduplicates:
// a table nothing writes after the seed is stored once, so each later backup stores a fraction of
// what the first stored, and a chain that re-stored every block would fail.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "support/cluster_env.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/sandbox_cluster.h"

namespace hasteward::testing {
namespace {

using platform::EngineKind;

constexpr int kChainLength = 30;
// The steps of the load that change a table's shape (the load before backup N is step N).
constexpr int kCreatedAt = 8;     // table `late` appears (rows large enough to go off-page)
constexpr int kRewrittenAt = 12;  // `items` is rewritten whole (a new file for PostgreSQL)
constexpr int kDroppedAt = 20;    // table `scratch` is dropped
constexpr int kCompactedAt = 25;  // `ledger` is vacuumed / optimized after many deletes

using TableSums = std::map<std::string, std::string>;  // table -> checksum of its rows

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty())
      lines.push_back(line);
  }
  return lines;
}

// What differs between the engines: the SQL of the load, how every table's checksum is read, and
// what "clean" means for a restored server.
class ChainDialect {
 public:
  virtual ~ChainDialect() = default;
  virtual std::string Engine() const = 0;  // the -e value
  // Flags of each native backup; an engine with incremental reads chains 29 of them on the first.
  virtual std::vector<std::string> BackupFlags() const { return {}; }
  bool ReadsIncrementally() const { return !BackupFlags().empty(); }
  virtual std::string Database() const = 0;        // where the load's SQL runs ("" = the default)
  virtual std::string CreateDatabase() const = 0;  // run first, without a database ("" = none)
  virtual std::string Seed() const = 0;
  // Run after the seed: brings the seeded pages to the state the load leaves alone ("" = none).
  virtual std::string Settle() const = 0;
  // Inserts, an update of a contiguous range of `items`, an update of scattered rows, deletes.
  virtual std::string Rows(const std::string& step) const = 0;
  virtual std::string CreateLate() const = 0;
  virtual std::string TouchLate(const std::string& step) const = 0;
  virtual std::string Rewrite() const = 0;
  virtual std::string Drop() const = 0;
  virtual std::string Compact() const = 0;
  virtual TableSums Checksums(const ClusterEnv& shop) const = 0;
  // The restored server (and the snapshot it came from) pass the engine's own checks.
  virtual void ExpectClean(const ClusterEnv& shop, const std::string& snapshot) const = 0;
};

constexpr char kPgBin[] = "/usr/lib/postgresql/15/bin";

class PostgresChain : public ChainDialect {
 public:
  std::string Engine() const override { return "cnpg"; }
  std::vector<std::string> BackupFlags() const override {
    return {"--incremental", "--full-every", "0"};
  }
  std::string Database() const override { return ""; }
  std::string CreateDatabase() const override { return ""; }
  std::string Seed() const override {
    return "CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL, label text NOT NULL);"
           "INSERT INTO items SELECT g, g % 100, md5(g::text) FROM generate_series(1, 10000) g;"
           "CREATE TABLE ledger (id bigserial PRIMARY KEY, item int NOT NULL, amount bigint NOT "
           "NULL, memo text); CREATE INDEX ledger_item ON ledger (item);"
           "INSERT INTO ledger (item, amount, memo) SELECT g % 10000 + 1, g, md5(g::text) FROM "
           "generate_series(1, 3000) g;"
           "CREATE TABLE scratch (id int PRIMARY KEY, v text NOT NULL);"
           "INSERT INTO scratch SELECT g, repeat('s', 200) FROM generate_series(1, 2000) g;"
           "CREATE TABLE archive (id int PRIMARY KEY, payload bytea NOT NULL);"
           "INSERT INTO archive SELECT g, decode(string_agg(md5(g::text || ':' || i::text), ''), "
           "'hex') FROM generate_series(1, 24576) g, generate_series(1, 64) i GROUP BY g";
  }
  // The first vacuum of a freshly loaded table rewrites each of its pages (hint bits, all-visible
  // and frozen flags): done before the chain, or autovacuum does it mid-chain and that backup
  // stores `archive` again (seen: backup 11 stored 20.6 MB where the first stored 19.1 MB).
  std::string Settle() const override { return "VACUUM (FREEZE, ANALYZE)"; }
  std::string Rows(const std::string& s) const override {
    return "INSERT INTO ledger (item, amount, memo) SELECT (g * 7 + " + s + ") % 10000 + 1, g * " +
           s + ", md5((g + " + s +
           ")::text) FROM generate_series(1, 200) g;"
           "UPDATE items SET qty = qty + " +
           s + " WHERE id BETWEEN " + s + " * 300 AND " + s +
           " * 300 + 200;"
           "UPDATE items SET label = md5(label || " +
           s + ") WHERE id % 97 = " + s + ";DELETE FROM ledger WHERE id % 41 = " + s + " % 41";
  }
  std::string CreateLate() const override {
    // 12.8 kB of hex per row: stored out of line, in the table's TOAST relation.
    return "CREATE TABLE late (id int PRIMARY KEY, body text NOT NULL);"
           "INSERT INTO late SELECT g, (SELECT string_agg(md5(g::text || i::text), '') FROM "
           "generate_series(1, 400) i) FROM generate_series(1, 100) g";
  }
  std::string TouchLate(const std::string& s) const override {
    return "UPDATE late SET body = body || " + s + " WHERE id % 10 = " + s + " % 10";
  }
  // Each alone: VACUUM does not run inside the transaction of a multi-statement string.
  std::string Rewrite() const override { return "VACUUM FULL items"; }
  std::string Drop() const override { return "DROP TABLE scratch"; }
  std::string Compact() const override { return "VACUUM ledger"; }

  // md5 of every table's rows in primary-key order (of each row's md5: `archive`'s 24 MiB would
  // otherwise be aggregated into one 48 MiB string for every backup).
  TableSums Checksums(const ClusterEnv& shop) const override {
    std::string query;
    for (const std::string& table : Lines(
             shop.Sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"))) {
      query += (query.empty() ? "" : " UNION ALL ") + std::string("SELECT '") + table +
               "|' || coalesce((SELECT md5(string_agg(md5(t::text), ',' ORDER BY t.id)) FROM " +
               table + " t), 'empty')";
    }
    TableSums sums;
    for (const std::string& line : Lines(shop.Sql(query))) {
      sums[line.substr(0, line.find('|'))] = line.substr(line.find('|') + 1);
    }
    return sums;
  }

  void ExpectClean(const ClusterEnv& shop, const std::string& snapshot) const override {
    shop.Sql("CREATE EXTENSION IF NOT EXISTS amcheck");
    // Every btree index of the database (catalogs' too) against its heap (heapallindexed), one
    // output row per index checked; a corrupt index fails the statement. Then every heap and TOAST
    // relation: verify_heapam returns one row per corruption it finds.
    EXPECT_GT(Lines(shop.Sql("SELECT bt_index_check(c.oid, true), c.relname FROM pg_index i JOIN "
                             "pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
                             "WHERE a.amname = 'btree' AND c.relkind = 'i' AND c.relpersistence "
                             "<> 't' AND i.indisready AND i.indisvalid"))
                  .size(),
              100u)
        << "the catalogs alone have more than 100 btree indexes";
    EXPECT_EQ(shop.Sql("SELECT c.relname || ': ' || v.msg FROM pg_class c, LATERAL "
                       "verify_heapam(c.oid) v WHERE c.relkind IN ('r', 'm', 't')"),
              "");
    // pg_verifybackup cannot judge the restored data directory itself: recovery has replayed the
    // WAL into it, renamed backup_label and written new WAL, so it no longer is the tree the
    // manifest describes. It checks the snapshot's tree instead, exported by hasteward: every
    // file's size and CRC-32C against the manifest, and the WAL from start to stop.
    const HastewardEnv& hs = shop.env();
    const std::string name = "chain-" + snapshot.substr(0, 8);
    const std::string archive = hs.Path(name + ".tar");
    const std::string tree = hs.Path(name);
    auto exported = hs.Run({"export", "--snapshot", snapshot, "-o", archive});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    ASSERT_EQ(RunCommand({"install", "-d", "-m", "0755", tree}).exit_code, 0);
    ASSERT_EQ(RunCommand({"tar", "-xf", archive, "-C", tree}).exit_code, 0);
    const std::string ns = tree + "/" + shop.binding().ns;
    ::chmod(ns.c_str(), 0755);
    ::chmod((ns + "/shop").c_str(), 0755);
    auto verified = RunCommand({"runuser", "-u", "postgres", "--",
                                std::string(kPgBin) + "/pg_verifybackup", ns + "/shop/data"});
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    RunCommand({"rm", "-rf", archive, tree});
  }
};

class MariadbChain : public ChainDialect {
 public:
  std::string Engine() const override { return "mariadb"; }
  // The sequence engine's seq_1_to_N tables exist in the current database.
  std::string Database() const override { return "shop"; }
  std::string CreateDatabase() const override { return "CREATE DATABASE shop"; }
  std::string Seed() const override {
    return "CREATE TABLE shop.items (id int PRIMARY KEY, qty int NOT NULL, label varchar(64) NOT "
           "NULL) ENGINE=InnoDB;"
           "INSERT INTO shop.items SELECT seq, seq % 100, md5(seq) FROM seq_1_to_10000;"
           "CREATE TABLE shop.ledger (id bigint AUTO_INCREMENT PRIMARY KEY, item int NOT NULL, "
           "amount bigint NOT NULL, memo varchar(64), KEY ledger_item (item)) ENGINE=InnoDB;"
           "INSERT INTO shop.ledger (item, amount, memo) SELECT seq % 10000 + 1, seq, md5(seq) "
           "FROM seq_1_to_3000;"
           "CREATE TABLE shop.scratch (id int PRIMARY KEY, v varchar(255) NOT NULL) "
           "ENGINE=InnoDB; INSERT INTO shop.scratch SELECT seq, repeat('s', 200) FROM "
           "seq_1_to_2000;"
           "CREATE TABLE shop.archive (id int PRIMARY KEY, payload blob NOT NULL) ENGINE=InnoDB;"
           "INSERT INTO shop.archive SELECT seq, random_bytes(1024) FROM seq_1_to_24576";
  }
  std::string Settle() const override { return ""; }
  std::string Rows(const std::string& s) const override {
    return "INSERT INTO shop.ledger (item, amount, memo) SELECT (seq * 7 + " + s +
           ") % 10000 + 1, seq * " + s + ", md5(seq + " + s +
           ") FROM seq_1_to_200;"
           "UPDATE shop.items SET qty = qty + " +
           s + " WHERE id BETWEEN " + s + " * 300 AND " + s +
           " * 300 + 200;"
           "UPDATE shop.items SET label = md5(concat(label, " +
           s + ")) WHERE id % 97 = " + s + ";DELETE FROM shop.ledger WHERE id % 41 = " + s +
           " % 41";
  }
  std::string CreateLate() const override {
    // 12.8 kB per row: InnoDB stores it off-page.
    return "CREATE TABLE shop.late (id int PRIMARY KEY, body mediumtext NOT NULL) ENGINE=InnoDB;"
           "INSERT INTO shop.late SELECT seq, repeat(md5(seq), 400) FROM seq_1_to_100";
  }
  std::string TouchLate(const std::string& s) const override {
    return "UPDATE shop.late SET body = concat(body, " + s + ") WHERE id % 10 = " + s + " % 10";
  }
  std::string Rewrite() const override { return "OPTIMIZE TABLE shop.items"; }
  std::string Drop() const override { return "DROP TABLE shop.scratch"; }
  std::string Compact() const override { return "OPTIMIZE TABLE shop.ledger"; }

  std::vector<std::string> Tables(const ClusterEnv& shop) const {
    std::vector<std::string> tables;
    for (const std::string& table :
         Lines(shop.Sql("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                        "'shop' ORDER BY 1"))) {
      tables.push_back("shop." + table);
    }
    return tables;
  }
  static std::string Joined(const std::vector<std::string>& tables) {
    std::string list;
    for (const std::string& table : tables)
      list += (list.empty() ? "" : ", ") + table;
    return list;
  }

  // CHECKSUM TABLE ... EXTENDED: every row read, whatever the table's live checksum option.
  TableSums Checksums(const ClusterEnv& shop) const override {
    TableSums sums;
    for (const std::string& line :
         Lines(shop.Sql("CHECKSUM TABLE " + Joined(Tables(shop)) + " EXTENDED"))) {
      sums[line.substr(0, line.find('\t'))] = line.substr(line.find('\t') + 1);
    }
    return sums;
  }

  void ExpectClean(const ClusterEnv& shop, const std::string& /*snapshot*/) const override {
    std::vector<std::string> tables = Tables(shop);
    ASSERT_FALSE(tables.empty());
    std::vector<std::string> rows = Lines(shop.Sql("CHECK TABLE " + Joined(tables) + " EXTENDED"));
    // One row per table, "<table> check status OK"; a problem adds error or warning rows.
    EXPECT_EQ(rows.size(), tables.size()) << shop.Sql("CHECK TABLE " + Joined(tables));
    for (const std::string& row : rows) {
      EXPECT_TRUE(row.ends_with("\tstatus\tOK")) << row;
    }
  }
};

struct ChainLink {
  std::string snapshot;
  TableSums sums;          // every table's checksum when the backup began
  uint64_t stored = 0;     // data_added_packed: what the backup added to the repository
  uint64_t processed = 0;  // total_bytes_processed: the whole data directory it read
};

struct ChainCase {
  EngineKind engine;
  const char* name;
};
std::ostream& operator<<(std::ostream& out, const ChainCase& chain_case) {
  return out << chain_case.name;
}

class NativeChainTest : public ::testing::TestWithParam<ChainCase> {
 protected:
  void SetUp() override {
    if (GetParam().engine == EngineKind::kPostgres) {
      dialect_ = std::make_unique<PostgresChain>();
    } else {
      dialect_ = std::make_unique<MariadbChain>();
    }
    // One instance: the chain is about the repository's blocks and the restored data; which
    // instance is copied, and the re-cloning of the others, are NativeBackupTest's and
    // NativeMariadbTest's. (A MariaDB backup of a replica holds what the replica applied,
    // which a chain recorded on the primary would first have to wait for, 30 times.)
    auto cluster = SandboxCluster::Create(
        {.engine = GetParam().engine, .instances = 1, .name = "shop", .ns = "nc"});
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    cluster_ = std::move(*cluster);
    shop_ = std::make_unique<ClusterEnv>(ClusterEnv::On(hs_, *cluster_, dialect_->Engine()));
    ASSERT_EQ(shop_->Hs({"repo", "init"}).exit_code, 0);
  }

  void Run(const std::string& sql) {
    if (!sql.empty())
      shop_->Sql(sql, 0, dialect_->Database());
  }

  void Seed() {
    if (!dialect_->CreateDatabase().empty())
      shop_->Sql(dialect_->CreateDatabase());
    Run(dialect_->Seed());
    Run(dialect_->Settle());
  }

  // The load that runs before backup `step` (2..kChainLength).
  void Load(int step) {
    const std::string s = std::to_string(step);
    Run(dialect_->Rows(s));
    if (step == kCreatedAt) {
      Run(dialect_->CreateLate());
    } else if (step > kCreatedAt) {
      Run(dialect_->TouchLate(s));
    }
    if (step == kRewrittenAt)
      Run(dialect_->Rewrite());
    if (step == kDroppedAt)
      Run(dialect_->Drop());
    if (step == kCompactedAt)
      Run(dialect_->Compact());
  }

  // Checksums first, then the backup: nothing writes in between, so they are the backup's state.
  ChainLink Backup() {
    ChainLink link;
    link.sums = dialect_->Checksums(*shop_);
    std::vector<std::string> args = {"backup", "--method", "native", "--json"};
    for (const auto& flag : dialect_->BackupFlags()) {
      args.push_back(flag);
    }
    auto r = shop_->Hs(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0)
      return link;
    auto summary = nlohmann::json::parse(LastLine(r.out));
    link.snapshot = summary.value("snapshot_id", "");
    link.stored = summary.value("data_added_packed", uint64_t{0});
    link.processed = summary.value("total_bytes_processed", uint64_t{0});
    return link;
  }

  // `snapshot` replaces the stopped instance's data (the newer data is kept aside: consented).
  void Restore(const std::string& snapshot) {
    auto stop = shop_->Hs({"instance", "stop", "-i", "0"});
    ASSERT_EQ(stop.exit_code, 0) << stop.err;
    auto restored = shop_->Hs({"restore", "--snapshot", snapshot, "--yes", "--confirm-rewind"});
    ASSERT_EQ(restored.exit_code, 0) << restored.err;
  }

  HastewardEnv hs_{"hs-native-chain-", "native-chain-test"};
  std::unique_ptr<ChainDialect> dialect_;
  std::unique_ptr<SandboxCluster> cluster_;
  std::unique_ptr<ClusterEnv> shop_;
};

TEST_P(NativeChainTest, ThirtyIncrementalsUnderALoadRestoreEqualAndClean) {
  Seed();
  std::vector<ChainLink> chain;
  for (int step = 1; step <= kChainLength; ++step) {
    if (step > 1)
      Load(step);
    chain.push_back(Backup());
    ASSERT_FALSE(chain.back().snapshot.empty()) << "backup " << step;
  }
  // The load did what the chain is meant to show: every step changed a table, `late` appears
  // mid-chain and `scratch` goes.
  for (int n = 1; n < kChainLength; ++n) {
    EXPECT_NE(chain[n].sums, chain[n - 1].sums) << "the load before backup " << n + 1;
  }
  const auto has = [&](int backup, const std::string& table) {
    for (const auto& [name, sum] : chain[backup - 1].sums) {
      if (name.ends_with(table))
        return true;
    }
    return false;
  };
  EXPECT_FALSE(has(1, "late"));
  EXPECT_TRUE(has(15, "late") && has(15, "scratch"));
  EXPECT_FALSE(has(30, "scratch"));

  // Every backup reads the whole data directory (each snapshot is a complete tree) but stores only
  // the blocks that changed. Between two backups the load rewrites most blocks of the small
  // tables, so what stays is `archive`, never written after the seed: most of the first backup's
  // bytes, never stored again. Each later backup stores under a third of what the first stored,
  // and the whole chain under 5 times it, where re-storing every block would take 30 times.
  uint64_t total = chain[0].stored;
  uint64_t largest = 0;
  for (int n = 1; n < kChainLength; ++n) {
    if (!dialect_->ReadsIncrementally()) {
      EXPECT_GT(chain[n].processed, chain[0].processed / 2) << "backup " << n + 1 << " read little";
    }
    EXPECT_LT(chain[n].stored * 3, chain[0].stored)
        << "backup " << n + 1 << " stored " << chain[n].stored << " bytes";
    total += chain[n].stored;
    largest = std::max(largest, chain[n].stored);
  }
  EXPECT_LT(total, chain[0].stored * 5);
  if (dialect_->ReadsIncrementally()) {
    // A chain of incrementals, each on the one before: every backup after the first read only
    // what the WAL since its parent names (tag read=incremental), none fell back to a full read.
    auto listed = hs_.Restic({"snapshots", "--json"});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    int incremental = 0;
    for (const auto& snapshot : nlohmann::json::parse(listed.out)) {
      for (const auto& tag : snapshot.value("tags", nlohmann::json::array())) {
        incremental += tag.get<std::string>() == "read=incremental" ? 1 : 0;
      }
    }
    EXPECT_EQ(incremental, kChainLength - 1);
  }
  std::printf(
      "native chain (%s): the first backup stored %llu of %llu bytes read, the largest "
      "later one %llu, the 30th %llu, the chain %llu\n",
      dialect_->Engine().c_str(), static_cast<unsigned long long>(chain[0].stored),
      static_cast<unsigned long long>(chain[0].processed), static_cast<unsigned long long>(largest),
      static_cast<unsigned long long>(chain.back().stored), static_cast<unsigned long long>(total));

  for (int n : {1, 15, kChainLength}) {
    SCOPED_TRACE("backup " + std::to_string(n) + " of the chain");
    const ChainLink& link = chain[n - 1];
    Restore(link.snapshot);
    EXPECT_EQ(dialect_->Checksums(*shop_), link.sums);
    dialect_->ExpectClean(*shop_, link.snapshot);
  }
  auto check = hs_.Restic({"check", "--read-data"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

INSTANTIATE_TEST_SUITE_P(Engines, NativeChainTest,
                         ::testing::Values(ChainCase{EngineKind::kPostgres, "pg"},
                                           ChainCase{EngineKind::kMariadb, "mariadb"}),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace hasteward::testing
