// The binlog piece index against a real local repository: its file format, readers answering
// exactly as the snapshot scan does, merging, a missing, damaged or stale index rebuilt from the
// snapshots, prune forgetting removed snapshots first, and an archiver's refresh.
#include "catalog/binlog/binlog_index.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "catalog/binlog/binlog_catalog.h"
#include "catalog/binlog/binlog_index_format.h"
#include "catalog/binlog/binlog_index_prune.h"
#include "core/temp_dir.h"
#include "pitr/binlog/binlog_archive.h"
#include "repo/crypto/crypto.h"
#include "repo/maintenance/retention_plan.h"
#include "repo/repository.h"
#include "storage/registry.h"

namespace hasteward::pitr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace binlog_index_test {
namespace {

catalog::BinlogPiece Piece(const std::string& file, uint64_t start, uint64_t end,
                           uint64_t archived_at_ns) {
  catalog::BinlogPiece piece;
  piece.identity = {"db-0", 1, 1763870000, file};
  piece.start = start;
  piece.end = end;
  piece.transactions = 1;
  piece.first_gtid = "0-1-" + std::to_string(archived_at_ns);
  piece.last_gtid = piece.first_gtid;
  piece.first_time = 1763870000 + static_cast<uint32_t>(archived_at_ns);
  piece.last_time = piece.first_time;
  piece.gtid_list_at_file_start = "0-1-0";
  piece.gtid_state_after = piece.last_gtid;
  piece.archived_at_ns = archived_at_ns;
  return piece;
}

// Everything a reader of the catalog sees, as one comparable document.
nlohmann::json Describe(const catalog::BinlogCatalog& catalog) {
  nlohmann::json doc = {{"snapshots", catalog.snapshots()},
                        {"last_instance", catalog.last_instance()},
                        {"last_archived_at_ns", catalog.last_archived_at_ns()},
                        {"files", nlohmann::json::object()},
                        {"rewinds", nlohmann::json::array()}};
  for (const auto& [key, file] : catalog.files()) {
    for (const catalog::BinlogPiece& piece : file.pieces) {
      nlohmann::json entry = catalog::PieceToJson(piece);
      const repo::Node* node = catalog.NodeOf(piece);
      entry["node_size"] = node == nullptr ? 0 : node->size;
      entry["node_blobs"] = node == nullptr ? 0 : node->content.size();
      if (node != nullptr && !node->content.empty()) {
        entry["node_first_blob"] = repo::IdToHex(node->content.front());
      }
      doc["files"][key].push_back(entry);
    }
  }
  for (const catalog::BinlogRewind& rewind : catalog.rewinds()) {
    doc["rewinds"].push_back(catalog::RewindToJson(rewind));
  }
  return doc;
}

class BinlogIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("hs-binlog-index-test-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_ = std::make_unique<core::TempDir>(std::move(dir).value());
    repo::InitOptions options;
    options.kdf = repo::KdfParams{1024, 8, 1};  // fast for tests
    auto backend = storage::OpenBackend(RepoPath());
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    auto repo = repo::Repository::Init(std::move(*backend), "pw", options);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    repo_ = std::move(*repo);
    cluster_.engine = platform::EngineKind::kMariadb;
    cluster_.ns = "idx";
    cluster_.name = "shop";
  }

  std::string RepoPath() const { return dir_->path() + "/repo"; }
  std::string IndexDir() const { return RepoPath() + "/hasteward/archive-index"; }

  // One archiver cycle's snapshot holding `pieces` (their bytes are their names, repeated).
  std::string Store(const std::vector<catalog::BinlogPiece>& pieces) {
    std::vector<BinlogPieceBytes> batch;
    for (const catalog::BinlogPiece& piece : pieces) {
      std::string bytes;
      while (bytes.size() < piece.end - piece.start) {
        bytes += piece.PieceName();
      }
      bytes.resize(piece.end - piece.start);
      batch.push_back({piece, bytes});
    }
    auto stored = StoreBinlogPieces(*repo_, cluster_, batch, "db-0", {});
    EXPECT_TRUE(stored.ok()) << stored.status().ToString();
    return stored.ok() ? stored->snapshot_id : "";
  }

  // `cycles` cycles of one piece each, 100 bytes, across files of 5 pieces.
  std::vector<std::string> StoreCycles(int cycles, int first = 0) {
    std::vector<std::string> ids;
    for (int i = first; i < first + cycles; ++i) {
      const std::string file = "mariadb-bin." + std::to_string(100000 + i / 5);
      const uint64_t start = static_cast<uint64_t>(i % 5) * 100;
      ids.push_back(Store({Piece(file, start, start + 100, 1000 + static_cast<uint64_t>(i))}));
    }
    return ids;
  }

  std::vector<std::string> IndexFiles(char part) const {
    std::vector<std::string> names;
    if (!std::filesystem::exists(IndexDir())) {
      return names;
    }
    for (const auto& entry : std::filesystem::directory_iterator(IndexDir())) {
      const std::string name = entry.path().filename().string();
      if (name.size() > 18 && name[17] == part) {
        names.push_back(name);
      }
    }
    return names;
  }

  // The catalog through the index must equal the catalog read from every snapshot.
  void ExpectIndexAnswersLikeTheSnapshots() {
    ASSERT_TRUE(repo_->LoadIndex().ok());
    auto scanned = catalog::BinlogCatalog::LoadFromSnapshots(*repo_, cluster_);
    ASSERT_TRUE(scanned.ok()) << scanned.status().ToString();
    auto indexed = catalog::BinlogCatalog::Load(*repo_, cluster_);
    ASSERT_TRUE(indexed.ok()) << indexed.status().ToString();
    EXPECT_EQ(Describe(*indexed).dump(1), Describe(*scanned).dump(1));
  }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<repo::Repository> repo_;
  platform::Cluster cluster_;
};

TEST(BinlogIndexFormatTest, AFileSurvivesItsJsonAndGarbageIsCorruption) {
  catalog::BinlogIndexFile file;
  file.cluster = "idx/shop";
  file.part = catalog::ArchiveIndexPart::kBucket;
  catalog::BinlogPiece piece = Piece("mariadb-bin.000002", 256, 1024, 42);
  piece.sealed = true;
  repo::Id blob = repo::Sha256(core::AsBytes(std::string("blob")));
  repo::Id snapshot = repo::Sha256(core::AsBytes(std::string("snapshot")));
  file.records.pieces.push_back({piece, snapshot, 768, {blob}});
  file.records.rewinds.push_back({{7, "0-1-5", int64_t{1763870009}, std::nullopt}, snapshot});
  auto decoded = catalog::DecodeBinlogIndexFile(catalog::EncodeBinlogIndexFile(file));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(catalog::EncodeBinlogIndexFile(*decoded), catalog::EncodeBinlogIndexFile(file));
  EXPECT_EQ(decoded->part, catalog::ArchiveIndexPart::kBucket);
  EXPECT_EQ(decoded->records.pieces.at(0).Node().name, piece.PieceName());
  EXPECT_EQ(decoded->records.rewinds.at(0).rewind.reached_at_unix, 1763870009);
  EXPECT_EQ(catalog::DecodeBinlogIndexFile("{\"version\":1}").status().code(),
            core::ErrorCode::kCorruption);
  file.records.pieces[0].size = 5;  // disagrees with the piece's range
  EXPECT_EQ(catalog::DecodeBinlogIndexFile(catalog::EncodeBinlogIndexFile(file)).status().code(),
            core::ErrorCode::kCorruption);
}

TEST_F(BinlogIndexTest, EachCycleAppendsADeltaAndReadersAnswerLikeTheSnapshots) {
  StoreCycles(3);
  EXPECT_EQ(IndexFiles('d').size(), 3u);
  EXPECT_TRUE(IndexFiles('s').empty()) << "a repository's first read builds the summary";
  ExpectIndexAnswersLikeTheSnapshots();
  EXPECT_EQ(IndexFiles('s').size(), 1u);
  EXPECT_TRUE(IndexFiles('d').empty()) << "the build replaced the deltas it listed";
  // A retried cycle (the same range stored again later) and a rewind: listed once, as the scan.
  Store({Piece("mariadb-bin.100000", 100, 200, 5000)});
  ASSERT_TRUE(
      RecordBinlogRewind(*repo_, cluster_, {6000, "0-1-1001", std::nullopt, std::nullopt}).ok());
  StoreCycles(2, 3);
  ExpectIndexAnswersLikeTheSnapshots();
  auto catalog = catalog::BinlogCatalog::Load(*repo_, cluster_);
  ASSERT_TRUE(catalog.ok());
  EXPECT_EQ(catalog->rewinds().size(), 1u);
  EXPECT_EQ(catalog->snapshots(), 7u);
}

TEST_F(BinlogIndexTest, ManyCyclesMergeIntoOneBucketPerBinlogFile) {
  StoreCycles(1);
  ExpectIndexAnswersLikeTheSnapshots();  // builds the summary: merging needs a complete index
  StoreCycles(catalog::kMaxBinlogIndexDeltas + 9, 1);
  EXPECT_LE(IndexFiles('d').size(), catalog::kMaxBinlogIndexDeltas + 1);
  EXPECT_GE(IndexFiles('b').size(), 1u);
  auto index = catalog::BinlogIndex::Open(*repo_, cluster_);
  ASSERT_TRUE(index.ok());
  auto records = index->ReadAll();
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ(records->pieces.size(), catalog::kMaxBinlogIndexDeltas + 10);
  ExpectIndexAnswersLikeTheSnapshots();
}

TEST_F(BinlogIndexTest, AMissingIndexIsBuiltFromTheSnapshots) {
  StoreCycles(4);
  ExpectIndexAnswersLikeTheSnapshots();
  std::filesystem::remove_all(IndexDir());
  std::filesystem::create_directories(IndexDir());
  ExpectIndexAnswersLikeTheSnapshots();
  EXPECT_EQ(IndexFiles('s').size(), 1u);
  EXPECT_FALSE(IndexFiles('b').empty());
}

TEST_F(BinlogIndexTest, ADamagedFileIsNeverAnsweredFromButRebuilt) {
  StoreCycles(4);
  ExpectIndexAnswersLikeTheSnapshots();
  const std::vector<std::string> buckets = IndexFiles('b');
  ASSERT_FALSE(buckets.empty());
  std::ofstream(IndexDir() + "/" + buckets.front(), std::ios::binary | std::ios::trunc) << "torn";
  ExpectIndexAnswersLikeTheSnapshots();
  EXPECT_FALSE(std::filesystem::exists(IndexDir() + "/" + buckets.front()));
}

TEST_F(BinlogIndexTest, AnIndexNamingAForgottenSnapshotIsRebuilt) {
  std::vector<std::string> ids = StoreCycles(3);
  ExpectIndexAnswersLikeTheSnapshots();
  // Stock restic's forget: the snapshot goes, the index is not told.
  std::filesystem::remove(RepoPath() + "/snapshots/" + ids[1]);
  ExpectIndexAnswersLikeTheSnapshots();
  auto catalog = catalog::BinlogCatalog::Load(*repo_, cluster_);
  ASSERT_TRUE(catalog.ok());
  EXPECT_EQ(catalog->snapshots(), 2u);
}

TEST_F(BinlogIndexTest, PruneForgetsTheRemovedSnapshotsRecordsFirst) {
  std::vector<std::string> ids = StoreCycles(3);
  ExpectIndexAnswersLikeTheSnapshots();
  repo::PlanGroup group;
  group.engine = "mariadb";
  group.namespace_name = cluster_.ns;
  group.cluster = cluster_.name;
  group.type = repo::SnapshotType::kWal;
  for (size_t i = 0; i < ids.size(); ++i) {
    group.snapshots.push_back({ids[i], "", "", i != 0, {}});
  }
  ASSERT_TRUE(catalog::ForgetPrunedBinlogPieces(*repo_, group).ok());
  const std::vector<std::string> summaries = IndexFiles('s');
  auto index = catalog::BinlogIndex::Open(*repo_, cluster_);
  ASSERT_TRUE(index.ok());
  auto records = index->ReadAll();
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->pieces.size(), 2u);
  for (const catalog::BinlogIndexPiece& record : records->pieces) {
    EXPECT_NE(repo::IdToHex(record.snapshot), ids[0]);
  }
  // Then prune deletes the snapshot: the index answers like the snapshots that remain.
  std::filesystem::remove(RepoPath() + "/snapshots/" + ids[0]);
  ExpectIndexAnswersLikeTheSnapshots();
  EXPECT_EQ(IndexFiles('s'), summaries) << "answered from the index, not rebuilt";
}

TEST_F(BinlogIndexTest, ARefreshAddsWhatOthersStoredSince) {
  StoreCycles(2);
  ASSERT_TRUE(repo_->LoadIndex().ok());
  auto catalog = catalog::BinlogCatalog::Load(*repo_, cluster_);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_EQ(catalog->snapshots(), 2u);
  StoreCycles(1, 2);
  ASSERT_TRUE(repo_->LoadIndex().ok());
  ASSERT_TRUE(catalog->Refresh(*repo_, cluster_).ok());
  EXPECT_EQ(catalog->snapshots(), 3u);
  auto scanned = catalog::BinlogCatalog::LoadFromSnapshots(*repo_, cluster_);
  ASSERT_TRUE(scanned.ok());
  EXPECT_EQ(Describe(*catalog).dump(1), Describe(*scanned).dump(1));
}

}  // namespace
}  // namespace binlog_index_test
}  // namespace hasteward::pitr
