// The binlog receiver's pieces (catalog/binlog/binlog_stream_store.h) in a real local repository:
// what is written reads back with its record and bytes in stamp order, after a reopen; removed
// pieces are gone; a piece moved under another cluster's name or damaged is corruption; and the
// streamed tail joins a catalog only where it continues what the archive holds (a piece held in
// part is trimmed to the rest, one held whole is skipped).
#include "catalog/binlog/binlog_stream_store.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "catalog/wal/wal_index.h"
#include "pitr/wal/wal_dir_test.h"

namespace hasteward::catalog {
// Its own namespace: a helper's name is also another test file's (unity batches).
namespace binlog_stream_store_test {
namespace {

BinlogPiece Piece(uint64_t start, uint64_t end, uint64_t stamp) {
  BinlogPiece piece;
  piece.identity = {"db-0", 1, 1763870000, "mariadb-bin.000002"};
  piece.start = start;
  piece.end = end;
  piece.transactions = 1;
  piece.first_gtid = piece.last_gtid = "0-1-" + std::to_string(end);
  piece.gtid_list_at_file_start = "0-1-4";
  piece.gtid_state_after = piece.last_gtid;
  piece.archived_at_ns = stamp;
  return piece;
}

std::string Bytes(uint64_t start, uint64_t end) {
  std::string out;
  for (uint64_t at = start; at < end; ++at) {
    out.push_back(static_cast<char>('a' + at % 26));  // a byte is a function of its offset
  }
  return out;
}

class BinlogStreamStoreTest : public pitr::WalDirTest {
 protected:
  void SetUp() override { SetUpWalDir("hs-binlog-stream-", "bs"); }

  BinlogStreamStore Open(const platform::Cluster& cluster) {
    auto store = BinlogStreamStore::Open(*repo_, cluster);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(*store);
  }

  std::filesystem::path StreamDir() {
    return std::filesystem::path(RepoPath()) / "hasteward" / "wal-stream";
  }
};

TEST_F(BinlogStreamStoreTest, PiecesReadBackInStampOrderAndRemovedOnesAreGone) {
  BinlogStreamStore store = Open(cluster_);
  ASSERT_TRUE(store.Write(Piece(200, 300, 20), Bytes(200, 300)).ok());
  ASSERT_TRUE(store.Write(Piece(100, 200, 10), Bytes(100, 200)).ok());
  EXPECT_FALSE(store.Write(Piece(300, 400, 30), Bytes(300, 350)).ok()) << "bytes of another size";

  BinlogStreamStore reopened = Open(cluster_);
  auto pieces = reopened.ReadAll();
  ASSERT_TRUE(pieces.ok()) << pieces.status().ToString();
  ASSERT_EQ(pieces->size(), 2U);
  EXPECT_EQ((*pieces)[0].piece.start, 100U);
  EXPECT_EQ((*pieces)[0].bytes, Bytes(100, 200));
  EXPECT_EQ((*pieces)[1].piece.gtid_state_after, "0-1-300");
  EXPECT_EQ((*pieces)[1].bytes, Bytes(200, 300));

  ASSERT_TRUE(reopened.Remove({(*pieces)[0].object}).ok());
  ASSERT_TRUE(reopened.Remove({(*pieces)[0].object}).ok()) << "already gone is fine";
  auto left = Open(cluster_).ReadAll();
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1U);
  EXPECT_EQ((*left)[0].piece.start, 200U);
  // Another cluster of the same repository lists none of them.
  platform::Cluster other = cluster_;
  other.name = "other";
  EXPECT_TRUE(Open(other).objects().empty());
}

TEST_F(BinlogStreamStoreTest, APieceUnderAnotherClustersNameOrDamagedIsCorruption) {
  platform::Cluster other = cluster_;
  other.name = "other";
  auto written = Open(cluster_).Write(Piece(100, 200, 10), Bytes(100, 200));
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  const std::string mine = ArchiveFileKey(cluster_);
  const std::string moved = ArchiveFileKey(other) + written->object.substr(mine.size());
  std::filesystem::copy_file(StreamDir() / written->object, StreamDir() / moved);
  EXPECT_EQ(Open(other).ReadAll().status().code(), core::ErrorCode::kCorruption);

  // Flipped, not overwritten: an overwrite leaves the piece intact when the byte had that value.
  std::fstream damage(StreamDir() / written->object,
                      std::ios::in | std::ios::out | std::ios::binary);
  damage.seekg(40);
  const int byte = damage.get();
  damage.seekp(40);
  damage.put(static_cast<char>(byte ^ 0xff));
  damage.close();
  auto read = Open(cluster_).ReadAll();
  EXPECT_EQ(read.status().code(), core::ErrorCode::kCorruption);
  EXPECT_NE(read.status().message().find(written->object), std::string::npos);
}

TEST_F(BinlogStreamStoreTest, TheStreamJoinsTheCatalogOnlyWhereItContinuesTheArchive) {
  BinlogCatalog catalog;
  catalog.Add({Piece(0, 150, 5)});
  std::vector<StreamedBinlogPiece> streamed = {
      {Piece(0, 100, 6), "held-whole", Bytes(0, 100)},
      {Piece(100, 200, 7), "held-in-part", Bytes(100, 200)},
      {Piece(200, 260, 8), "beyond", Bytes(200, 260)},
  };
  auto added = AddStreamedPieces(catalog, streamed);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, 2U);
  const ArchivedBinlogFile* file = catalog.Find(Piece(0, 1, 0).identity);
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(file->pieces.size(), 3U);
  EXPECT_EQ(file->End(), 260U);
  const BinlogPiece& trimmed = file->pieces[1];
  EXPECT_EQ(trimmed.start, 150U);
  EXPECT_EQ(trimmed.end, 200U);
  ASSERT_NE(catalog.StreamedBytesOf(trimmed), nullptr);
  EXPECT_EQ(*catalog.StreamedBytesOf(trimmed), Bytes(150, 200));
  EXPECT_EQ(catalog.StreamedBytesOf(file->pieces[0]), nullptr) << "the archive's own piece";
  EXPECT_EQ(*catalog.StreamedBytesOf(file->pieces[2]), Bytes(200, 260));
}

}  // namespace
}  // namespace binlog_stream_store_test
}  // namespace hasteward::catalog
