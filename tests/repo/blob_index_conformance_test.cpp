// The BlobIndex conformance suite: what backup, restore and check rely on, run against each
// implementation (MasterIndex in memory, DiskBlobIndex over a cache file built from the same
// index files). A new implementation adds one line to the instantiation at the end.
#include <functional>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "repo/index/blob_index.h"
#include "repo/index/disk_blob_index.h"
#include "repo/index/master_index.h"

namespace hasteward::repo {
namespace {

// Makes an index holding the packs of `files`, read in order (as LoadIndex reads index files).
using BlobIndexFactory = std::function<std::unique_ptr<BlobIndex>(
    const std::vector<IndexFile>& files, const std::string& cache_dir)>;

struct Implementation {
  std::string name;
  BlobIndexFactory make;
};

std::unique_ptr<BlobIndex> MakeMemory(const std::vector<IndexFile>& files, const std::string&) {
  auto index = std::make_unique<MasterIndex>();
  for (const IndexFile& file : files) {
    for (const auto& [pack, blobs] : file.packs) {
      index->AddPack(pack, blobs);
    }
  }
  return index;
}

std::unique_ptr<BlobIndex> MakeDisk(const std::vector<IndexFile>& files,
                                    const std::string& cache_dir) {
  std::vector<Id> names;
  for (size_t i = 0; i < files.size(); ++i) {
    Id name{};
    name[0] = static_cast<uint8_t>(i);
    name[1] = static_cast<uint8_t>(i >> 8);
    names.push_back(name);
  }
  DiskIndexOpenOptions options;
  options.dir = cache_dir;
  options.build.memory_budget_bytes = 0;  // the smallest runs: the merge is part of what is tested
  auto disk = DiskIndex::Open(
      names,
      [&](const Id& name) -> core::Result<IndexFile> {
        return files.at(size_t{name[0]} | (size_t{name[1]} << 8));
      },
      options);
  EXPECT_TRUE(disk.ok()) << disk.status().ToString();
  return disk.ok() ? std::make_unique<DiskBlobIndex>(std::move(*disk)) : nullptr;
}

class BlobIndexConformanceTest : public ::testing::TestWithParam<Implementation> {
 protected:
  void SetUp() override { std::printf("seed %u\n", kSeed); }

  Id RandomId() {
    Id id;
    for (auto& byte : id) {
      byte = static_cast<uint8_t>(rng_());
    }
    return id;
  }
  std::vector<PackedBlob> RandomBlobs(size_t count) {
    std::vector<PackedBlob> blobs;
    for (size_t i = 0; i < count; ++i) {
      PackedBlob blob;
      blob.id = RandomId();
      blob.type = i % 5 == 0 ? BlobType::kTree : BlobType::kData;
      blob.offset = static_cast<uint32_t>(i * 64);
      blob.length = 64;
      blob.uncompressed_length = i % 3 == 0 ? 0 : 200;
      blobs.push_back(blob);
    }
    return blobs;
  }
  // `files` index files of `packs` packs of `per_pack` random blobs.
  std::vector<IndexFile> RandomFiles(size_t files, size_t packs, size_t per_pack) {
    std::vector<IndexFile> out(files);
    for (auto& file : out) {
      for (size_t p = 0; p < packs; ++p) {
        file.packs.emplace_back(RandomId(), RandomBlobs(per_pack));
      }
    }
    return out;
  }
  std::unique_ptr<BlobIndex> Make(const std::vector<IndexFile>& files) {
    return GetParam().make(files, dir_.path() + "/cache");
  }

  static constexpr uint32_t kSeed = 33;
  std::mt19937 rng_{kSeed};
  core::TempDir dir_ = std::move(core::TempDir::Create("hs-blob-index-conformance-").value());
};

TEST_P(BlobIndexConformanceTest, FindsEveryBlobOfTheIndexFilesWhereTheyListIt) {
  auto files = RandomFiles(3, 4, 500);
  auto index = Make(files);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->BlobCount(), 6000U);
  for (const IndexFile& file : files) {
    for (const auto& [pack, blobs] : file.packs) {
      for (const PackedBlob& blob : blobs) {
        auto found = index->Lookup(blob.id, blob.type);
        ASSERT_TRUE(found.has_value());
        EXPECT_EQ(found->pack_id, pack);
        EXPECT_EQ(found->blob.offset, blob.offset);
        EXPECT_EQ(found->blob.length, blob.length);
        EXPECT_EQ(found->blob.uncompressed_length, blob.uncompressed_length);
        EXPECT_TRUE(index->Has(blob.id, blob.type));
      }
    }
  }
}

TEST_P(BlobIndexConformanceTest, AnUnknownBlobOrTheOtherTypeIsNotFound) {
  auto files = RandomFiles(1, 2, 50);
  auto index = Make(files);
  ASSERT_NE(index, nullptr);
  const PackedBlob& data = files[0].packs[0].second[1];
  ASSERT_EQ(data.type, BlobType::kData);
  EXPECT_FALSE(index->Has(data.id, BlobType::kTree));
  EXPECT_FALSE(index->Lookup(data.id, BlobType::kTree).has_value());
  for (int i = 0; i < 200; ++i) {
    EXPECT_FALSE(index->Has(RandomId(), BlobType::kData));
  }
}

TEST_P(BlobIndexConformanceTest, AnEmptyIndexFindsNothingAndTakesPacks) {
  auto index = Make({});
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->BlobCount(), 0U);
  auto blobs = RandomBlobs(10);
  EXPECT_FALSE(index->Has(blobs[3].id, blobs[3].type));
  index->AddPack(RandomId(), blobs);
  EXPECT_TRUE(index->Has(blobs[3].id, blobs[3].type));
}

TEST_P(BlobIndexConformanceTest, APackSavedAfterLoadingIsFound) {
  auto index = Make(RandomFiles(2, 2, 100));
  ASSERT_NE(index, nullptr);
  const Id pack = RandomId();
  auto blobs = RandomBlobs(20);
  index->AddPack(pack, blobs);
  for (const PackedBlob& blob : blobs) {
    auto found = index->Lookup(blob.id, blob.type);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->pack_id, pack);
    EXPECT_EQ(found->blob.offset, blob.offset);
  }
}

TEST_P(BlobIndexConformanceTest, TheFirstListingOfABlobWins) {
  auto files = RandomFiles(2, 1, 10);
  PackedBlob twice = files[0].packs[0].second[4];
  twice.offset = 12345;
  files[1].packs[0].second.push_back(twice);
  auto index = Make(files);
  ASSERT_NE(index, nullptr);
  index->AddPack(RandomId(), {twice});
  auto found = index->Lookup(twice.id, twice.type);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->pack_id, files[0].packs[0].first);
  EXPECT_EQ(found->blob.offset, files[0].packs[0].second[4].offset);
}

TEST_P(BlobIndexConformanceTest, LookupsAndAddsMayRunConcurrently) {
  auto files = RandomFiles(1, 2, 200);
  auto index = Make(files);
  ASSERT_NE(index, nullptr);
  std::vector<std::pair<Id, std::vector<PackedBlob>>> added;
  for (int i = 0; i < 50; ++i) {
    added.emplace_back(RandomId(), RandomBlobs(10));
  }
  std::thread writer([&] {
    for (const auto& [pack, blobs] : added) {
      index->AddPack(pack, blobs);
    }
  });
  size_t found = 0;
  for (int round = 0; round < 20; ++round) {
    for (const PackedBlob& blob : files[0].packs[1].second) {
      found += index->Has(blob.id, blob.type) ? 1 : 0;
    }
  }
  writer.join();
  EXPECT_EQ(found, 20U * 200U);
  for (const auto& [pack, blobs] : added) {
    EXPECT_TRUE(index->Has(blobs[9].id, blobs[9].type));
  }
}

INSTANTIATE_TEST_SUITE_P(Implementations, BlobIndexConformanceTest,
                         ::testing::Values(Implementation{"Memory", MakeMemory},
                                           Implementation{"Disk", MakeDisk}),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace hasteward::repo
