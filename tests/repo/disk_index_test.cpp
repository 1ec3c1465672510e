// The on-disk blob index against the in-memory one on a real repository (a backup's packs and
// index files, plus index files listing synthetic packs, duplicates included), and its cache
// rules: built when missing, reused when verified, rebuilt when stale, damaged or truncated.
#include "repo/index/disk_index.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "repo/backup/snapshot_writer.h"
#include "repo/repository.h"
#include "storage/local/local_backend.h"

namespace hasteward::repo {
namespace {

namespace fs = std::filesystem;

class DiskIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitOptions opts;
    opts.kdf = KdfParams{1024, 8, 1};  // fast for tests
    auto r = Repository::Init(std::make_unique<storage::LocalBackend>(dir_.path() + "/repo"), "pw",
                              opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    repo_ = std::move(*r);
    std::printf("seed %u\n", kSeed);
  }

  // A real backup: packs and index files as `backup` writes them.
  void BackUpRandomFile(size_t bytes) {
    auto writer = SnapshotWriter::Open(*repo_, SnapshotWriterOptions{});
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    core::Bytes data(bytes);
    for (auto& byte : data) {
      byte = static_cast<uint8_t>(rng_());
    }
    ASSERT_TRUE((*writer)->BeginFile("data.bin").ok());
    ASSERT_TRUE((*writer)->Append(data).ok());
    ASSERT_TRUE((*writer)->FinishFile().ok());
    ASSERT_TRUE((*writer)->Commit(CommitOptions{}).ok());
  }

  Id RandomId() {
    Id id;
    for (auto& byte : id) {
      byte = static_cast<uint8_t>(rng_());
    }
    return id;
  }

  // An index file listing `packs` synthetic packs of `per_pack` blobs; `also` are added to the
  // first pack (to list a blob a second time).
  IndexFile SaveSyntheticIndex(size_t packs, size_t per_pack, const std::vector<PackedBlob>& also) {
    IndexFile index;
    for (size_t p = 0; p < packs; ++p) {
      std::vector<PackedBlob> blobs = p == 0 ? also : std::vector<PackedBlob>{};
      for (size_t b = 0; b < per_pack; ++b) {
        PackedBlob blob;
        blob.id = RandomId();
        blob.type = b % 7 == 0 ? BlobType::kTree : BlobType::kData;
        blob.offset = static_cast<uint32_t>(b * 100);
        blob.length = 100;
        blob.uncompressed_length = b % 2 == 0 ? 0 : 300;
        blobs.push_back(blob);
      }
      index.packs.emplace_back(RandomId(), std::move(blobs));
    }
    EXPECT_TRUE(repo_->SaveUnpacked(storage::FileType::kIndex, EncodeIndexJson(index)).ok());
    return index;
  }

  core::Result<std::unique_ptr<DiskIndex>> OpenDisk(size_t budget = size_t{64} << 20,
                                                    size_t max_missing = 0) {
    HS_TRY(repo_->LoadIndex());
    DiskIndexOpenOptions options;
    options.dir = CacheDir();
    options.build.memory_budget_bytes = budget;
    options.max_missing_files = max_missing;
    return DiskIndex::Open(
        repo_->index_files(),
        [this](const Id& id) -> core::Result<IndexFile> {
          HS_ASSIGN_OR_RETURN(std::string json, repo_->LoadUnpacked(storage::FileType::kIndex, id));
          return ParseIndexJson(json);
        },
        options);
  }

  // Every blob the in-memory index knows is found at the same place, and nothing else is.
  void ExpectSameAsMasterIndex(const DiskIndex& disk) {
    const MasterIndex& memory = repo_->index();
    EXPECT_EQ(disk.BlobCount(), memory.BlobCount());
    size_t compared = 0;
    memory.ForEachPack([&](const Id&, const std::vector<PackedBlob>& blobs) {
      for (const PackedBlob& blob : blobs) {
        auto want = memory.Lookup(blob.id, blob.type);
        auto got = disk.Lookup(blob.id, blob.type);
        ASSERT_TRUE(got.has_value()) << IdToHex(blob.id);
        EXPECT_EQ(got->pack_id, want->pack_id);
        EXPECT_EQ(got->blob.offset, want->blob.offset);
        EXPECT_EQ(got->blob.length, want->blob.length);
        EXPECT_EQ(got->blob.uncompressed_length, want->blob.uncompressed_length);
        EXPECT_EQ(got->blob.type, want->blob.type);
        const BlobType other = blob.type == BlobType::kData ? BlobType::kTree : BlobType::kData;
        EXPECT_EQ(disk.Has(blob.id, other), memory.Has(blob.id, other));
        ++compared;
      }
    });
    EXPECT_GT(compared, 0U);
    for (int i = 0; i < 100; ++i) {
      EXPECT_FALSE(disk.Has(RandomId(), BlobType::kData));
    }
  }

  std::string CacheDir() const { return dir_.path() + "/cache"; }

  static constexpr uint32_t kSeed = 20261126;
  std::mt19937 rng_{kSeed};
  core::TempDir dir_ = std::move(core::TempDir::Create("hs-disk-index-test-").value());
  std::unique_ptr<Repository> repo_;
};

TEST_F(DiskIndexTest, LookupsEqualTheInMemoryIndexOfARealRepository) {
  BackUpRandomFile(size_t{6} << 20);
  SaveSyntheticIndex(20, 100, {});
  auto disk = OpenDisk();
  ASSERT_TRUE(disk.ok()) << disk.status().ToString();
  EXPECT_TRUE((*disk)->built());
  ExpectSameAsMasterIndex(**disk);
}

TEST_F(DiskIndexTest, ABlobListedTwiceKeepsTheFirstListingAsTheMemoryIndexDoes) {
  IndexFile first = SaveSyntheticIndex(3, 50, {});
  std::vector<PackedBlob> again = {first.packs[1].second[3], first.packs[2].second[10]};
  again[0].offset = 999999;
  SaveSyntheticIndex(2, 50, again);
  auto disk = OpenDisk();
  ASSERT_TRUE(disk.ok()) << disk.status().ToString();
  ExpectSameAsMasterIndex(**disk);
}

TEST_F(DiskIndexTest, ASmallBudgetSpillsManyRunsAndHoldsNoMoreThanOneRun) {
  SaveSyntheticIndex(10, 600, {});
  SaveSyntheticIndex(5, 500, {});
  auto disk = OpenDisk(/*budget=*/0);
  ASSERT_TRUE(disk.ok()) << disk.status().ToString();
  const DiskIndexBuildStats& stats = (*disk)->build_stats();
  EXPECT_EQ(stats.records_per_run, 1024U);
  EXPECT_EQ(stats.runs, (8500U + 1023U) / 1024U);
  EXPECT_LE(stats.max_records_held, stats.records_per_run);
  EXPECT_EQ(stats.packs, 15U);
  ExpectSameAsMasterIndex(**disk);
}

// The lookups read the file: none of it is mapped into the process, so looking up every blob of a
// large repository adds nothing to the resident set (a mapping kept every page it touched).
TEST_F(DiskIndexTest, LookingUpEveryBlobLeavesNoPartOfTheFileMapped) {
  SaveSyntheticIndex(20, 500, {});
  auto disk = OpenDisk();
  ASSERT_TRUE(disk.ok()) << disk.status().ToString();
  ExpectSameAsMasterIndex(**disk);
  std::ifstream maps("/proc/self/maps");
  ASSERT_TRUE(maps.good());
  const std::string name = fs::path((*disk)->path()).filename().string();
  for (std::string line; std::getline(maps, line);) {
    EXPECT_EQ(line.find(name), std::string::npos) << line;
  }
}

TEST_F(DiskIndexTest, ForEachBlobVisitsEveryRecordInIdOrderWithItsPack) {
  SaveSyntheticIndex(10, 600, {});  // more records than one read of ForEachBlob holds
  auto disk = OpenDisk();
  ASSERT_TRUE(disk.ok()) << disk.status().ToString();
  const MasterIndex& memory = repo_->index();
  uint64_t visited = 0;
  std::optional<Id> last;
  ASSERT_TRUE((*disk)
                  ->ForEachBlob([&](const Id& pack, const PackedBlob& blob) {
                    auto want = memory.Lookup(blob.id, blob.type);
                    ASSERT_TRUE(want.has_value());
                    EXPECT_EQ(pack, want->pack_id);
                    EXPECT_EQ(blob.offset, want->blob.offset);
                    EXPECT_TRUE(!last || *last <= blob.id);
                    last = blob.id;
                    ++visited;
                  })
                  .ok());
  EXPECT_EQ(visited, memory.BlobCount());
}

TEST(DiskIndexBuildTest, RecordsPerRunIsHalfTheBudgetAndAtLeast1024) {
  EXPECT_EQ(RecordsPerRun(size_t{64} << 20), (size_t{32} << 20) / kDiskIndexRecordSize);
  EXPECT_EQ(RecordsPerRun(0), 1024U);
  EXPECT_EQ(RecordsPerRun(1000), 1024U);
}

TEST_F(DiskIndexTest, AMissingFileIsBuiltThenAVerifiedOneIsReused) {
  SaveSyntheticIndex(2, 10, {});
  auto first = OpenDisk();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE((*first)->built());
  auto second = OpenDisk();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE((*second)->built());
  ExpectSameAsMasterIndex(**second);
}

TEST_F(DiskIndexTest, ADamagedOrTruncatedFileIsRebuiltNotTrusted) {
  SaveSyntheticIndex(4, 100, {});
  std::string path;
  {
    auto built = OpenDisk();
    ASSERT_TRUE(built.ok()) << built.status().ToString();
    path = (*built)->path();
  }
  {
    // One flipped bit in a record's offset: a wrong answer that would pass every size check.
    core::UniqueFd fd(::open(path.c_str(), O_RDWR));
    uint8_t byte = 0;
    ASSERT_EQ(::pread(fd.get(), &byte, 1, 64 + 40), 1);
    byte ^= 1;
    ASSERT_EQ(::pwrite(fd.get(), &byte, 1, 64 + 40), 1);
  }
  auto rebuilt = OpenDisk();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_TRUE((*rebuilt)->built());
  ExpectSameAsMasterIndex(**rebuilt);
  rebuilt->reset();
  fs::resize_file(path, fs::file_size(path) - 32);
  auto again = OpenDisk();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE((*again)->built());
  ExpectSameAsMasterIndex(**again);
}

TEST_F(DiskIndexTest, NewIndexFilesMakeANewFileAndTheStaleOneIsRemoved) {
  SaveSyntheticIndex(2, 10, {});
  std::string old_path;
  {
    auto old_index = OpenDisk();
    ASSERT_TRUE(old_index.ok()) << old_index.status().ToString();
    old_path = (*old_index)->path();
  }
  IndexFile added = SaveSyntheticIndex(1, 10, {});
  auto fresh = OpenDisk();
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_TRUE((*fresh)->built());
  EXPECT_NE((*fresh)->path(), old_path);
  EXPECT_FALSE(fs::exists(old_path));
  const PackedBlob& blob = added.packs[0].second[0];
  EXPECT_TRUE((*fresh)->Has(blob.id, blob.type));
  ExpectSameAsMasterIndex(**fresh);
}

TEST_F(DiskIndexTest, AFileOfASubsetIsReusedAndNamesTheIndexFilesItLacks) {
  SaveSyntheticIndex(2, 10, {});
  auto old_index = OpenDisk();
  ASSERT_TRUE(old_index.ok()) << old_index.status().ToString();
  const std::string old_path = (*old_index)->path();
  old_index->reset();
  ASSERT_TRUE(repo_->SaveUnpacked(storage::FileType::kIndex, EncodeIndexJson(IndexFile{})).ok());
  auto reused = OpenDisk(size_t{64} << 20, /*max_missing=*/1);
  ASSERT_TRUE(reused.ok()) << reused.status().ToString();
  EXPECT_FALSE((*reused)->built());
  EXPECT_EQ((*reused)->path(), old_path);
  ASSERT_EQ((*reused)->missing_files().size(), 1U);
  EXPECT_EQ((*reused)->covered_files().size(), 1U);
}

TEST_F(DiskIndexTest, AFileCoveringARemovedIndexFileIsNotReused) {
  SaveSyntheticIndex(2, 10, {});
  auto old_index = OpenDisk();
  ASSERT_TRUE(old_index.ok()) << old_index.status().ToString();
  old_index->reset();
  // As prune: the index file goes (its blobs may be deleted), a new one comes.
  ASSERT_TRUE(repo_->LoadIndex().ok());
  for (const Id& file : repo_->index_files()) {
    ASSERT_TRUE(
        repo_->backend().Remove(storage::Handle{storage::FileType::kIndex, IdToHex(file)}).ok());
  }
  SaveSyntheticIndex(1, 10, {});
  auto reopened =
      Repository::Open(std::make_unique<storage::LocalBackend>(dir_.path() + "/repo"), "pw");
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  repo_ = std::move(*reopened);
  auto fresh = OpenDisk(size_t{64} << 20, /*max_missing=*/8);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_TRUE((*fresh)->built());
  EXPECT_TRUE((*fresh)->missing_files().empty());
  ExpectSameAsMasterIndex(**fresh);
}

TEST_F(DiskIndexTest, AFileOfAnotherIndexSetIsRefused) {
  SaveSyntheticIndex(1, 10, {});
  auto built = OpenDisk();
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  auto wrong = DiskIndex::OpenFile((*built)->path(), DiskIndex::KeyFor({}));
  EXPECT_EQ(wrong.status().code(), core::ErrorCode::kCorruption);
}

}  // namespace
}  // namespace hasteward::repo
