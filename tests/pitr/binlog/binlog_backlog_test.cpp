#include "pitr/binlog/binlog_backlog.h"

#include <gtest/gtest.h>

namespace hasteward::pitr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace binlog_backlog_test {
namespace {

catalog::BinlogPiece Piece(const std::string& instance, const std::string& file, uint64_t end,
                           uint32_t created = 1763870000) {
  catalog::BinlogPiece piece;
  piece.identity = {instance, 1, created, file};
  piece.start = 0;
  piece.end = end;
  piece.gtid_state_after = "0-1-5";
  piece.archived_at_ns = 1;
  return piece;
}

TEST(BinlogBacklogTest, AFullyArchivedWriterIsNotBehind) {
  catalog::BinlogCatalog catalog;
  catalog.Add({Piece("db-0", "bin.000001", 500), Piece("db-0", "bin.000002", 900)});
  auto backlog = BacklogOf("db-0", {{"bin.000001", 500}, {"bin.000002", 900}}, catalog);
  EXPECT_EQ(backlog.files_behind, 0u);
  EXPECT_EQ(backlog.bytes_behind, 0u);
}

TEST(BinlogBacklogTest, TheOpenFileAndNewerFilesCountFromWhereTheArchiveEnds) {
  catalog::BinlogCatalog catalog;
  catalog.Add({Piece("db-0", "bin.000001", 500), Piece("db-0", "bin.000002", 900)});
  // During an outage the open file grew and the server rotated twice.
  auto backlog = BacklogOf(
      "db-0", {{"bin.000001", 500}, {"bin.000002", 1500}, {"bin.000003", 800}, {"bin.000004", 300}},
      catalog);
  EXPECT_EQ(backlog.files_behind, 3u);
  EXPECT_EQ(backlog.bytes_behind, 600u + 800u + 300u);
}

TEST(BinlogBacklogTest, FilesBeforeTheNewestKnownOneAreNotCounted) {
  catalog::BinlogCatalog catalog;
  // bin.000001 was skipped (its transactions archived from another writer), never stored.
  catalog.Add({Piece("db-0", "bin.000002", 900)});
  auto backlog = BacklogOf("db-0", {{"bin.000001", 4000}, {"bin.000002", 900}}, catalog);
  EXPECT_EQ(backlog.files_behind, 0u);
}

TEST(BinlogBacklogTest, AWriterTheArchiveNeverFollowedCountsEveryFile) {
  catalog::BinlogCatalog catalog;
  catalog.Add({Piece("db-0", "bin.000002", 900)});
  auto backlog = BacklogOf("db-1", {{"bin.000001", 400}, {"bin.000002", 100}}, catalog);
  EXPECT_EQ(backlog.writer, "db-1");
  EXPECT_EQ(backlog.files_behind, 2u);
  EXPECT_EQ(backlog.bytes_behind, 500u);
}

TEST(BinlogBacklogTest, ARenumberedFileIsMatchedToTheNewestArchivedOfItsName) {
  catalog::BinlogCatalog catalog;
  catalog.Add({Piece("db-0", "bin.000001", 5000, 1763870000),
               Piece("db-0", "bin.000001", 200, 1763879999)});
  auto backlog = BacklogOf("db-0", {{"bin.000001", 700}}, catalog);
  EXPECT_EQ(backlog.files_behind, 1u);
  EXPECT_EQ(backlog.bytes_behind, 500u);
}

}  // namespace
}  // namespace binlog_backlog_test
}  // namespace hasteward::pitr
