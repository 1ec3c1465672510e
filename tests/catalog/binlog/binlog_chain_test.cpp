// The walk through archived binlog transactions for each kind of target, with MariaDB's own GTID
// rules (engine::MakeEngine's binlog archiving; no server): a time target stops before the first
// later transaction, a GTID target at the state that includes it, the whole archive walks to the
// end without "reaching" anything, and a walk never steps over a missing transaction.
#include "catalog/binlog/binlog_chain.h"

#include <gtest/gtest.h>

#include "engine/engine.h"
#include "repo/snapshot/snapshot.h"

namespace hasteward::catalog {
namespace {

class BinlogChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = engine::MakeEngine(platform::EngineKind::kMariadb);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    engine_ = std::move(*made);
    binlogs_ = engine_->binlog_archiving();
    ASSERT_NE(binlogs_, nullptr);
  }

  // A file of domain 0, server 1: transactions `first`..`last`, committed at 1000 + seqno.
  static LoadedBinlogFile File(const std::string& name, int first, int last) {
    LoadedBinlogFile file;
    file.identity = BinlogFileIdentity{"shop-0", 1, 1, name};
    for (int seqno = first; seqno <= last; ++seqno) {
      engine::BinlogTransactionSpan span;
      span.gtid = "0-1-" + std::to_string(seqno);
      span.time = static_cast<uint32_t>(1000 + seqno);
      file.spans.push_back(span);
    }
    return file;
  }

  BinlogChainWalk Walk(const std::vector<LoadedBinlogFile>& files, const std::string& from,
                       const BinlogTarget& target) const {
    return WalkBinlogChain(files, *binlogs_, from, target);
  }

  std::unique_ptr<engine::Engine> engine_;
  const engine::BinlogArchiving* binlogs_ = nullptr;
};

TEST_F(BinlogChainTest, ATimeTargetStopsBeforeTheFirstLaterTransaction) {
  std::vector<LoadedBinlogFile> files = {File("bin.000001", 1, 5), File("bin.000002", 6, 9)};
  BinlogChainWalk walk = Walk(files, "0-1-2", BinlogTarget::Time(1007));
  EXPECT_TRUE(walk.reached);
  EXPECT_EQ(walk.state, "0-1-7");
  EXPECT_EQ(walk.transactions, 5U);  // 3..7, across both files
  ASSERT_EQ(walk.files.size(), 2U);
  EXPECT_EQ(walk.last_time, 1007U);
}

TEST_F(BinlogChainTest, AGtidTargetStopsAtTheStateThatIncludesIt) {
  std::vector<LoadedBinlogFile> files = {File("bin.000001", 1, 9)};
  BinlogChainWalk walk = Walk(files, "0-1-0", BinlogTarget::Gtid("0-1-4"));
  EXPECT_TRUE(walk.reached);
  EXPECT_EQ(walk.state, "0-1-4");
  EXPECT_EQ(walk.last_gtid, "0-1-4");
  // A base already past the target has reached it with nothing to replay.
  walk = Walk(files, "0-1-6", BinlogTarget::Gtid("0-1-4"));
  EXPECT_TRUE(walk.reached);
  EXPECT_EQ(walk.transactions, 0U);
}

// Issue 49: a plain restore back to 0-1-2 started domain 1; the archive holds the abandoned
// 0-1-3..5 (archived first) and the new history's 1-1-1..3. A target of the new history bounds
// domain 0 at 2: the walk takes 1-1-1..2 and never 0-1-3.
TEST_F(BinlogChainTest, AGtidTargetNeverAppliesATransactionPastItInItsDomain) {
  LoadedBinlogFile restored = File("bin.000001", 1, 0);
  restored.identity.created = 2;
  for (int seqno = 1; seqno <= 3; ++seqno) {
    engine::BinlogTransactionSpan span;
    span.gtid = "1-1-" + std::to_string(seqno);
    span.time = static_cast<uint32_t>(2000 + seqno);
    restored.spans.push_back(span);
  }
  std::vector<LoadedBinlogFile> files = {File("bin.000001", 1, 5), restored};
  BinlogChainWalk walk = Walk(files, "0-1-2", BinlogTarget::Gtid("0-1-2,1-1-2"));
  EXPECT_TRUE(walk.reached);
  EXPECT_EQ(walk.transactions, 2U);
  EXPECT_EQ(walk.last_gtid, "1-1-2");
  ASSERT_EQ(walk.files.size(), 1U);
  EXPECT_EQ(walk.files[0].identity.created, 2U);
}

TEST_F(BinlogChainTest, TheWholeArchiveWalksToTheEndAndReachesNothing) {
  std::vector<LoadedBinlogFile> files = {File("bin.000001", 1, 4), File("bin.000002", 5, 8)};
  for (const BinlogTarget& target : {BinlogTarget{}, BinlogTarget::EndOfArchive()}) {
    BinlogChainWalk walk = Walk(files, "0-1-1", target);
    EXPECT_FALSE(walk.reached);  // the end is judged by the plan (TookEveryTransaction)
    EXPECT_EQ(walk.state, "0-1-8");
    EXPECT_EQ(walk.transactions, 7U);
  }
  EXPECT_TRUE(TookEveryTransaction(files, *binlogs_, "0-1-8"));
  EXPECT_FALSE(TookEveryTransaction(files, *binlogs_, "0-1-7"));
}

TEST_F(BinlogChainTest, AMissingTransactionStopsTheWalkBeforeIt) {
  // 0-1-5 was never archived: nothing after it may be replayed, whatever the target.
  std::vector<LoadedBinlogFile> files = {File("bin.000001", 1, 4), File("bin.000002", 6, 8)};
  BinlogChainWalk walk = Walk(files, "0-1-0", BinlogTarget::Gtid("0-1-7"));
  EXPECT_FALSE(walk.reached);
  EXPECT_EQ(walk.state, "0-1-4");
  walk = Walk(files, "0-1-0", BinlogTarget::EndOfArchive());
  EXPECT_EQ(walk.state, "0-1-4");
  EXPECT_FALSE(TookEveryTransaction(files, *binlogs_, walk.state));
}

// Seconds as a rewind's or a piece's stamp.
constexpr uint64_t SecondsNs(uint64_t seconds) {
  return seconds * 1000000000;
}

// A native base taken at `seconds` at GTID position `state`, with `fill` as its ID's bytes.
repo::Snapshot NativeBase(uint8_t fill, int64_t seconds, const std::string& state) {
  repo::Snapshot snapshot;
  snapshot.id.fill(fill);
  snapshot.time.unix_seconds = seconds;
  snapshot.tags = {"gtid_position=" + state};
  return snapshot;
}

BinlogRewind RewindTo(uint64_t seconds, const std::string& state,
                      const std::optional<repo::Snapshot>& restored) {
  BinlogRewind rewind{SecondsNs(seconds), state, std::nullopt, std::nullopt};
  if (restored) {
    rewind.base = BinlogRestoredBase{repo::IdToHex(restored->id), restored->time.unix_seconds,
                                     restored->TagValue("gtid_position")};
  }
  return rewind;
}

// mariadb_history_property_test seed 19: base B (0-1-5, taken at 100 s); a restore at 200 s went
// back to an older base at 0-1-2, abandoning B, its transactions 0-1-3..5 and the writes after it
// (0-1-6); a restore at 300 s brought B back. B is live again, and so are 0-1-3..5 (a time
// target's plan reads their commit times), never 0-1-6. Before rewinds named their base, B stayed
// abandoned: `pitr status` offered no base for the live history.
TEST_F(BinlogChainTest, ARestoreOfAnAbandonedBaseRevivesItAndItsHistoryUpToIt) {
  const repo::Snapshot base = NativeBase(0xb3, 100, "0-1-5");
  const repo::Snapshot other = NativeBase(0xc0, 150, "0-1-5");  // same position, never restored
  BinlogCatalog catalog;
  catalog.AddRewind(RewindTo(200, "0-1-2", NativeBase(0xb1, 50, "0-1-2")));
  EXPECT_TRUE(BaseAbandoned(catalog, *binlogs_, base, "0-1-5"));
  EXPECT_TRUE(SpanAbandoned(catalog, *binlogs_, SecondsNs(90), "0-1-4"));
  catalog.AddRewind(RewindTo(300, "0-1-5", base));
  EXPECT_FALSE(BaseAbandoned(catalog, *binlogs_, base, "0-1-5"));
  EXPECT_FALSE(SpanAbandoned(catalog, *binlogs_, SecondsNs(90), "0-1-4"));
  EXPECT_FALSE(
      SpanAbandoned(catalog, *binlogs_, SecondsNs(120), "0-1-5"));  // archived after the backup
  EXPECT_TRUE(SpanAbandoned(catalog, *binlogs_, SecondsNs(150), "0-1-6"));  // past the base
  EXPECT_TRUE(BaseAbandoned(catalog, *binlogs_, other, "0-1-5"));           // only the one restored
  // A later restore that leaves it abandons it again.
  catalog.AddRewind(RewindTo(400, "0-1-2", std::nullopt));
  EXPECT_TRUE(BaseAbandoned(catalog, *binlogs_, base, "0-1-5"));
  EXPECT_TRUE(SpanAbandoned(catalog, *binlogs_, SecondsNs(90), "0-1-4"));
}

// A rewind recorded before restores named their base revives nothing, whatever its state.
TEST_F(BinlogChainTest, ARewindNamingNoBaseRevivesNothing) {
  const repo::Snapshot base = NativeBase(0xb3, 100, "0-1-5");
  BinlogCatalog catalog;
  catalog.AddRewind(RewindTo(200, "0-1-2", std::nullopt));
  catalog.AddRewind(RewindTo(300, "0-1-5", std::nullopt));
  EXPECT_TRUE(BaseAbandoned(catalog, *binlogs_, base, "0-1-5"));
  EXPECT_TRUE(SpanAbandoned(catalog, *binlogs_, SecondsNs(90), "0-1-4"));
}

// Written before every restore started a new GTID domain, histories reuse GTIDs: 0-1-4 archived at
// 40 s was abandoned by a restore at 45 s (before the base was taken), and 0-1-4 archived at 250 s
// is of the history a restore at 200 s started (after the base's history ended). Restoring the
// base at 0-1-5 revives only its own 0-1-4, archived at 90 s.
TEST_F(BinlogChainTest, ARestoredBaseRevivesOnlyTheTransactionsOfItsOwnHistory) {
  const repo::Snapshot base = NativeBase(0xb3, 100, "0-1-5");
  BinlogCatalog catalog;
  catalog.AddRewind(RewindTo(45, "0-1-3", std::nullopt));
  catalog.AddRewind(RewindTo(200, "0-1-2", std::nullopt));
  catalog.AddRewind(RewindTo(260, "0-1-2", std::nullopt));
  catalog.AddRewind(RewindTo(300, "0-1-5", base));
  EXPECT_FALSE(SpanAbandoned(catalog, *binlogs_, SecondsNs(90), "0-1-4"));
  EXPECT_TRUE(SpanAbandoned(catalog, *binlogs_, SecondsNs(40), "0-1-4"));
  EXPECT_TRUE(SpanAbandoned(catalog, *binlogs_, SecondsNs(250), "0-1-4"));
  EXPECT_FALSE(BaseAbandoned(catalog, *binlogs_, base, "0-1-5"));
}

}  // namespace
}  // namespace hasteward::catalog
