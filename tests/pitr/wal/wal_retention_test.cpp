// Which archived WAL pieces prune keeps for PostgreSQL: those holding a segment at or after the
// oldest kept native base's start segment, every piece with a history file, and every piece when
// no kept base says where replay starts.
#include "pitr/wal/wal_retention.h"

#include <gtest/gtest.h>

#include "pitr/pitr_retention.h"

namespace hasteward::pitr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace wal_retention_test {
namespace {

repo::SnapshotMeta Base(const std::string& id, const std::string& start_lsn,
                        const std::string& method = "native") {
  return {
      id,
      "2026-01-01T00:00:00Z",
      "host",
      {"/ns/c"},
      {"engine=cnpg", "type=backup", "method=" + method, "start_lsn=" + start_lsn, "timeline=1"}};
}

repo::SnapshotMeta Piece(const std::string& id, const std::string& last,
                         const std::string& history = "") {
  repo::SnapshotMeta meta{id, "2026-01-01T00:00:00Z", "host", {"/ns/c/wal"}, {"type=wal"}};
  if (!last.empty())
    meta.tags.push_back(std::string(kWalLastTag) + "=" + last);
  if (!history.empty())
    meta.tags.push_back(std::string(kWalHistoryTag) + "=" + history);
  return meta;
}

std::vector<bool> Keeps(const std::vector<repo::SnapshotMeta>& kept,
                        const std::vector<repo::SnapshotMeta>& pieces) {
  std::vector<const repo::SnapshotMeta*> kept_pointers, piece_pointers;
  for (const auto& meta : kept)
    kept_pointers.push_back(&meta);
  for (const auto& meta : pieces)
    piece_pointers.push_back(&meta);
  std::vector<bool> keeps;
  for (const auto& decision : PitrRetention().Decide("cnpg", kept_pointers, piece_pointers)) {
    EXPECT_FALSE(decision.reason.empty());
    keeps.push_back(decision.keep);
  }
  return keeps;
}

// start 0/5000028 is in segment 5; 0/3000000 in segment 3.
TEST(WalRetentionTest, PiecesBeforeTheOldestKeptBaseStartGoTheRestStay) {
  auto keeps =
      Keeps({Base("bbbbbbbb1", "0/5000028"), Base("cccccccc1", "0/9000028")},
            {Piece("p3", "000000010000000000000003"), Piece("p4", "000000010000000000000004"),
             Piece("p5", "000000010000000000000005"), Piece("p7", "000000010000000000000007")});
  EXPECT_EQ(keeps, (std::vector<bool>{false, false, true, true}));
}

TEST(WalRetentionTest, HistoryFilesAndPiecesWithoutATagAreKept) {
  auto keeps = Keeps({Base("bbbbbbbb1", "0/5000028")},
                     {Piece("h", "000000010000000000000001", "1"), Piece("untagged", "")});
  EXPECT_EQ(keeps, (std::vector<bool>{true, true}));
}

TEST(WalRetentionTest, WithoutAKeptNativeBaseEverythingStays) {
  EXPECT_EQ(
      Keeps({Base("dddddddd1", "0/5000028", "dump")}, {Piece("p1", "000000010000000000000001")}),
      std::vector<bool>{true});
  EXPECT_EQ(Keeps({}, {Piece("p1", "000000010000000000000001")}), std::vector<bool>{true});
}

TEST(WalRetentionTest, AnUnreadableStartPositionKeepsEverything) {
  EXPECT_EQ(Keeps({Base("bbbbbbbb1", "0/5000028"), Base("eeeeeeee1", "garbage")},
                  {Piece("p1", "000000010000000000000001")}),
            std::vector<bool>{true});
}

}  // namespace
}  // namespace wal_retention_test
}  // namespace hasteward::pitr
