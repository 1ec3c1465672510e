#include "catalog/binlog/binlog_catalog.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hasteward::catalog {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace binlog_catalog_test {
namespace {

BinlogPiece Piece(const std::string& instance, uint64_t start, uint64_t end,
                  const std::string& state_after, uint64_t archived_at_ns) {
  BinlogPiece piece;
  piece.identity = {instance, 1, 1763870000, "mariadb-bin.000002"};
  piece.start = start;
  piece.end = end;
  piece.transactions = 2;
  piece.first_gtid = "0-1-5";
  piece.last_gtid = "0-1-6";
  piece.first_time = 1763870001;
  piece.last_time = 1763870002;
  piece.gtid_list_at_file_start = "0-1-4";
  piece.gtid_state_after = state_after;
  piece.archived_at_ns = archived_at_ns;
  return piece;
}

TEST(BinlogCatalogTest, APieceSurvivesItsManifestEntry) {
  BinlogPiece piece = Piece("db-0", 256, 1024, "0-1-6", 42);
  piece.sealed = true;
  auto parsed = PieceFromJson(PieceToJson(piece));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(PieceToJson(*parsed), PieceToJson(piece));
  EXPECT_EQ(parsed->PieceName(), piece.PieceName());
}

TEST(BinlogCatalogTest, PieceNamesSortByOffsetWithinAFileAndKeepFilesApart) {
  BinlogPiece small = Piece("db-0", 9, 100, "", 1);
  BinlogPiece large = Piece("db-0", 100, 12000, "", 2);
  EXPECT_LT(small.PieceName(), large.PieceName());
  EXPECT_EQ(small.PieceName(),
            "db-0.1.1763870000.mariadb-bin.000002.0000000000000009-0000000000000100");
  // Same file name, another creation time (numbering started again): another key.
  BinlogPiece restarted = small;
  restarted.identity.created += 1;
  EXPECT_NE(restarted.identity.Key(), small.identity.Key());
}

TEST(BinlogCatalogTest, AMalformedOrBackwardsEntryIsCorruptionNotASkip) {
  nlohmann::json missing = PieceToJson(Piece("db-0", 0, 10, "", 1));
  missing.erase("gtid_state_after");
  EXPECT_EQ(PieceFromJson(missing).status().code(), core::ErrorCode::kCorruption);
  EXPECT_EQ(PieceFromJson(PieceToJson(Piece("db-0", 10, 5, "", 1))).status().code(),
            core::ErrorCode::kCorruption);
}

// A rewind and the pieces archived around it are compared by their stamps, which two hosts make:
// the next stamp is never older than anything the catalog holds, whatever this host's clock says.
// A rewind names the base its restore brought back (binlog_chain.h, BaseAbandoned); a record
// without one (written before) reads as naming none, a malformed one as corruption.
TEST(BinlogCatalogTest, ARewindKeepsTheBaseItRestored) {
  BinlogRewind rewind{5000, "0-1-5,1-1-2", std::nullopt, BinlogRestoredBase{"b3b3", 100, "0-1-5"}};
  auto read = RewindFromJson(RewindToJson(rewind));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_TRUE(read->base.has_value());
  EXPECT_EQ(read->base->snapshot, "b3b3");
  EXPECT_EQ(read->base->taken_unix, 100);
  EXPECT_EQ(read->base->gtid_position, "0-1-5");
  nlohmann::json old_record = {{"at_ns", 5000U}, {"state", "0-1-5"}};
  read = RewindFromJson(old_record);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_FALSE(read->base.has_value());
  nlohmann::json malformed = RewindToJson(rewind);
  malformed["base"].erase("time");
  EXPECT_EQ(RewindFromJson(malformed).status().code(), core::ErrorCode::kCorruption);
}

TEST(BinlogCatalogTest, TheNextStampOrdersAfterEveryPieceAndRewindItHolds) {
  BinlogCatalog catalog;
  EXPECT_EQ(catalog.NextStampNs(1000), 1000u);
  catalog.Add({Piece("db-0", 0, 100, "0-1-5", 5000)});
  EXPECT_EQ(catalog.NextStampNs(1000), 5001u) << "this clock is behind the archiver's";
  EXPECT_EQ(catalog.NextStampNs(9000), 9000u);
  catalog.AddRewind(
      {.at_ns = 20000, .state = "0-1-5", .reached_at_unix = std::nullopt, .base = std::nullopt});
  EXPECT_EQ(catalog.NextStampNs(9000), 20001u) << "behind the restoring host's clock";
}

TEST(BinlogCatalogTest, AddKeepsPiecesInOffsetOrderOnceAndFollowsTheNewestWriter) {
  BinlogCatalog catalog;
  catalog.Add({Piece("db-0", 100, 200, "0-1-6", 2), Piece("db-0", 0, 100, "0-1-5", 1)});
  catalog.Add({Piece("db-0", 100, 200, "0-1-6", 2)});  // a retried cycle
  BinlogFileIdentity identity{"db-0", 1, 1763870000, "mariadb-bin.000002"};
  const ArchivedBinlogFile* file = catalog.Find(identity);
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(file->pieces.size(), 2U);
  EXPECT_EQ(file->pieces[0].start, 0U);
  EXPECT_EQ(file->End(), 200U);
  EXPECT_FALSE(file->Sealed());
  EXPECT_EQ(catalog.last_instance(), "db-0");
  catalog.Add({Piece("db-1", 0, 50, "0-2-7", 3)});
  EXPECT_EQ(catalog.last_instance(), "db-1");
  EXPECT_EQ(catalog.States().size(), 3U);
}

}  // namespace
}  // namespace binlog_catalog_test
}  // namespace hasteward::catalog
