// Prune's archive retention picks the WAL or the binlog rules by the engine's capability, and
// keeps everything of an engine it does not know.
#include "pitr/pitr_retention.h"

#include <gtest/gtest.h>

#include "pitr/binlog_catalog.h"
#include "pitr/binlog_tags.h"

namespace hasteward::pitr {
namespace {

std::vector<bool> Keeps(const std::string& engine, const repo::SnapshotMeta& base,
                        const repo::SnapshotMeta& piece) {
  std::vector<bool> keeps;
  for (const auto& decision : PitrRetention().Decide(engine, {&base}, {&piece})) {
    keeps.push_back(decision.keep);
  }
  return keeps;
}

TEST(PitrRetentionTest, CnpgPiecesFollowTheWalRules) {
  repo::SnapshotMeta base{"bbbbbbbb1",
                          "2026-01-01T00:00:00Z",
                          "host",
                          {"/ns/c"},
                          {"type=backup", "method=native", "start_lsn=0/5000028", "timeline=1"}};
  repo::SnapshotMeta piece{"p3",
                           "2026-01-01T00:00:00Z",
                           "host",
                           {"/ns/c/wal"},
                           {"type=wal", std::string(kWalLastTag) + "=000000010000000000000003"}};
  EXPECT_EQ(Keeps("cnpg", base, piece), std::vector<bool>{false});
  EXPECT_EQ(Keeps("no-such-engine", base, piece), std::vector<bool>{true});
}

TEST(PitrRetentionTest, MariadbAndGaleraPiecesFollowTheBinlogRules) {
  repo::SnapshotMeta base{"bbbbbbbb1",
                          "2026-01-01T00:00:00Z",
                          "host",
                          {"/ns/c/data"},
                          {"type=backup", "method=native", "gtid_position=0-1-12"}};
  BinlogPiece sealed_before_base;
  sealed_before_base.identity = {"c-0", 1, 1600000000, "bin.000001"};
  sealed_before_base.end = 100;
  sealed_before_base.transactions = 1;
  sealed_before_base.gtid_state_after = "0-1-5";
  sealed_before_base.sealed = true;
  repo::SnapshotMeta piece{"a1",
                           "2025-12-31T00:00:00Z",
                           "host",
                           {"/ns/c/binlog"},
                           {"type=wal", kBinlogArchiveTag, std::string(kBinlogPiecesTag) + "=1",
                            BinlogPieceTag(sealed_before_base)}};
  EXPECT_EQ(Keeps("mariadb", base, piece), std::vector<bool>{false});
  EXPECT_EQ(Keeps("galera", base, piece), std::vector<bool>{false});
}

}  // namespace
}  // namespace hasteward::pitr
