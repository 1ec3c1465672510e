// Which archived binlog snapshots prune keeps for MariaDB, decided from crafted snapshot tags:
// every file holding a transaction some kept native base lacks stays whole (its first piece
// holds the header a restore needs), older files go, and whatever the tags cannot prove unneeded
// stays (untagged snapshots, rewinds, no readable base).
#include "pitr/binlog/binlog_retention.h"

#include <gtest/gtest.h>

#include "catalog/binlog/binlog_catalog.h"
#include "pitr/binlog/binlog_tags.h"
#include "pitr/pitr_retention.h"

namespace hasteward::pitr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace binlog_retention_test {
namespace {

constexpr uint32_t kBaseTime = 1700000000;  // 2023-11-14T22:13:20Z
constexpr const char* kBaseTimeText = "2023-11-14T22:13:20Z";
constexpr uint64_t kNanos = 1000000000;

repo::SnapshotMeta Base(const std::string& id, const std::string& position,
                        const std::string& method = "native") {
  return {id,
          kBaseTimeText,
          "host",
          {"/ns/c/data"},
          {"engine=mariadb", "type=backup", "method=" + method, "gtid_position=" + position}};
}

catalog::BinlogPiece Piece(const std::string& file, uint64_t start, uint64_t end,
                           const std::string& state, bool sealed = false,
                           const std::string& instance = "c-0") {
  catalog::BinlogPiece piece;
  piece.identity = {instance, 1, 1600000000, file};
  piece.start = start;
  piece.end = end;
  piece.transactions = 1;
  piece.last_time = kBaseTime - 100;  // before the base unless a test says otherwise
  piece.gtid_state_after = state;
  piece.sealed = sealed;
  piece.archived_at_ns = static_cast<uint64_t>(kBaseTime - 100) * kNanos;
  return piece;
}

// A binlog snapshot stored `second` seconds after 2023-11-14T22:00:00Z with these pieces.
repo::SnapshotMeta Snapshot(const std::string& id, int second,
                            const std::vector<catalog::BinlogPiece>& pieces) {
  char time[32];
  std::snprintf(time, sizeof(time), "2023-11-14T22:%02d:%02dZ", second / 60, second % 60);
  repo::SnapshotMeta meta{id,
                          time,
                          "host",
                          {"/ns/c/binlog"},
                          {"engine=mariadb", "type=wal", catalog::kBinlogArchiveTag,
                           std::string(kBinlogPiecesTag) + "=" + std::to_string(pieces.size())}};
  for (const auto& piece : pieces) {
    meta.tags.push_back(BinlogPieceTag(piece));
  }
  return meta;
}

repo::SnapshotMeta Rewind(const std::string& id, int second, uint64_t at_ns,
                          const std::string& state) {
  repo::SnapshotMeta meta = Snapshot(id, second, {});
  meta.tags = {"engine=mariadb",
               "type=wal",
               catalog::kBinlogArchiveTag,
               std::string(kBinlogRewindTag) + "=yes",
               std::string(kBinlogRewindAtTag) + "=" + std::to_string(at_ns),
               std::string(kBinlogRewindStateTag) + "=" + StateToTag(state)};
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
  for (const auto& decision : PitrRetention().Decide("mariadb", kept_pointers, piece_pointers)) {
    EXPECT_FALSE(decision.reason.empty());
    keeps.push_back(decision.keep);
  }
  return keeps;
}

TEST(BinlogRetentionTest, FilesEveryKeptBaseHoldsGoAFileTheBaseContinuesStaysWhole) {
  auto keeps = Keeps({Base("bbbbbbbb1", "0-1-12")},
                     {Snapshot("a1", 1, {Piece("bin.000001", 0, 100, "0-1-5")}),
                      Snapshot("a2", 2, {Piece("bin.000001", 100, 200, "0-1-10", true)}),
                      // The base continues inside bin.000002: its first piece holds only
                      // transactions the base has, but a restore reads the file from its start.
                      Snapshot("b1", 3, {Piece("bin.000002", 0, 150, "0-1-11")}),
                      Snapshot("b2", 4, {Piece("bin.000002", 150, 300, "0-1-20")})});
  EXPECT_EQ(keeps, (std::vector<bool>{false, false, true, true}));
}

TEST(BinlogRetentionTest, EveryReplicationDomainCounts) {
  auto keeps = Keeps({Base("bbbbbbbb1", "0-1-10,1-1-3")},
                     {Snapshot("a1", 1, {Piece("bin.000001", 0, 100, "0-1-8,1-1-3", true)}),
                      Snapshot("b1", 2, {Piece("bin.000002", 0, 100, "0-1-9,1-1-4", true)}),
                      Snapshot("c1", 3, {Piece("bin.000003", 0, 100, "0-1-11,1-1-4")})});
  EXPECT_EQ(keeps, (std::vector<bool>{false, true, true}));
}

TEST(BinlogRetentionTest, TheOldestKeptBaseDecides) {
  auto keeps = Keeps({Base("cccccccc1", "0-1-30"), Base("bbbbbbbb1", "0-1-12")},
                     {Snapshot("a1", 1, {Piece("bin.000001", 0, 100, "0-1-10", true)}),
                      Snapshot("b1", 2, {Piece("bin.000002", 0, 100, "0-1-20", true)}),
                      Snapshot("c1", 3, {Piece("bin.000003", 0, 100, "0-1-40")})});
  EXPECT_EQ(keeps, (std::vector<bool>{false, true, true}));
}

TEST(BinlogRetentionTest, TransactionsFromTheBasesTimeOnStay) {
  // The restore planner reads them to tell whether a base holds transactions after a time target.
  catalog::BinlogPiece during_backup = Piece("bin.000001", 0, 100, "0-1-10", true);
  during_backup.last_time = kBaseTime + 2;
  auto keeps = Keeps({Base("bbbbbbbb1", "0-1-12")},
                     {Snapshot("a1", 1, {during_backup}),
                      Snapshot("b1", 2, {Piece("bin.000002", 0, 100, "0-1-20")})});
  EXPECT_EQ(keeps, (std::vector<bool>{true, true}));
}

TEST(BinlogRetentionTest, UntaggedOldSnapshotsStay) {
  repo::SnapshotMeta untagged = Snapshot("old", 1, {Piece("bin.000001", 0, 100, "0-1-5", true)});
  untagged.tags.pop_back();  // an archiver before the binlog_piece tags wrote only the count
  repo::SnapshotMeta garbled = Snapshot("bad", 2, {Piece("bin.000002", 0, 100, "0-1-6", true)});
  garbled.tags.back() = std::string(kBinlogPieceTag) + "=garbage";
  auto keeps =
      Keeps({Base("bbbbbbbb1", "0-1-12")},
            {untagged, garbled, Snapshot("new", 3, {Piece("bin.000003", 0, 100, "0-1-7", true)}),
             Snapshot("cur", 4, {Piece("bin.000004", 0, 100, "0-1-20")})});
  EXPECT_EQ(keeps, (std::vector<bool>{true, true, false, true}));
}

TEST(BinlogRetentionTest, WithoutAKeptNativeBaseWithAPositionEverythingStays) {
  std::vector<repo::SnapshotMeta> pieces = {
      Snapshot("a1", 1, {Piece("bin.000001", 0, 100, "0-1-5", true)})};
  EXPECT_EQ(Keeps({}, pieces), std::vector<bool>{true});
  EXPECT_EQ(Keeps({Base("dddddddd1", "0-1-12", "dump")}, pieces), std::vector<bool>{true});
  repo::SnapshotMeta no_position = Base("eeeeeeee1", "");
  no_position.tags.pop_back();
  EXPECT_EQ(Keeps({Base("bbbbbbbb1", "0-1-12"), no_position}, pieces), std::vector<bool>{true});
}

TEST(BinlogRetentionTest, RewindsStayAndTheFutureTheyAbandonedGoes) {
  // Restored to 0-1-10 after 0-1-30 was archived: the new history writes 0-1-11.. again; the
  // base is taken in it.
  const uint64_t rewind_at = static_cast<uint64_t>(kBaseTime - 50) * kNanos;
  catalog::BinlogPiece new_history = Piece("bin.000001", 0, 100, "0-2-14", false, "c-1");
  new_history.archived_at_ns = rewind_at + 1;
  std::vector<repo::SnapshotMeta> pieces = {
      Snapshot("old", 1, {Piece("bin.000009", 0, 100, "0-1-30", true)}),
      Rewind("rewind", 2, rewind_at, "0-1-10"), Snapshot("new", 3, {new_history})};
  EXPECT_EQ(Keeps({Base("bbbbbbbb1", "0-2-12")}, pieces), (std::vector<bool>{false, true, true}));
  // A rewind without its state in the tags (recorded before they existed) proves nothing.
  pieces[1].tags.resize(4);
  EXPECT_EQ(Keeps({Base("bbbbbbbb1", "0-2-12")}, pieces), (std::vector<bool>{true, true, true}));
}

TEST(BinlogRetentionTest, AnOpenFileStaysWholeOrGoesWholeASealedOneKeepsItsEnd) {
  // s3 holds a needed piece of bin.000003 and pieces of two unneeded files: the open one (an old
  // writer's) must not lose its start while a later piece stays, the sealed one keeps its end.
  auto keeps = Keeps(
      {Base("bbbbbbbb1", "0-1-12")},
      {Snapshot("s1", 1, {Piece("bin.000007", 0, 100, "0-1-3", false, "c-old")}),
       Snapshot("s2", 2, {Piece("bin.000001", 0, 100, "0-1-4")}),
       Snapshot("s3", 3,
                {Piece("bin.000007", 100, 200, "0-1-5", false, "c-old"),
                 Piece("bin.000001", 100, 200, "0-1-6"), Piece("bin.000003", 0, 100, "0-1-20")}),
       Snapshot("s4", 4, {Piece("bin.000001", 200, 300, "0-1-7", true)})});
  EXPECT_EQ(keeps, (std::vector<bool>{true, false, true, true}));
}

TEST(BinlogRetentionTest, TheFileTheArchiverContinuesStays) {
  // Nothing was written since the base: the open file of the newest snapshot holds only older
  // transactions, but without its start what comes next could not be read.
  auto keeps = Keeps({Base("bbbbbbbb1", "0-1-12")},
                     {Snapshot("a1", 1, {Piece("bin.000001", 0, 100, "0-1-11")}),
                      Snapshot("a2", 2, {Piece("bin.000001", 100, 200, "0-1-12")})});
  EXPECT_EQ(keeps, (std::vector<bool>{true, true}));
}

}  // namespace
}  // namespace binlog_retention_test
}  // namespace hasteward::pitr
