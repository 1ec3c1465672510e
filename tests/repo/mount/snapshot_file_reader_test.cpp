#include "repo/mount/snapshot_file_reader.h"

#include <filesystem>
#include <fstream>

#include "core/poll_until.h"
#include "repo/mount/mount_fixture.h"
#include "repo/mount/snapshot_tree.h"

namespace hasteward::repo {
namespace {

using namespace std::chrono_literals;

class SnapshotFileReaderTest : public MountFixture {
 protected:
  Node DataNode() {
    auto tree = SnapshotTree::Open(*repo_, snap_, "");
    EXPECT_TRUE(tree.ok());
    auto node = (*tree)->Lookup("/ns/db/data.bin");
    EXPECT_TRUE(node.ok());
    return *node;
  }

  core::Bytes ReadAll(SnapshotFileReader& reader, size_t step) {
    core::Bytes out;
    core::Bytes buf(step);
    for (uint64_t offset = 0;;) {
      auto n = reader.Read(offset, buf);
      EXPECT_TRUE(n.ok()) << n.status().ToString();
      if (!n.ok() || *n == 0)
        return out;
      out.insert(out.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(*n));
      offset += *n;
    }
  }
};

TEST_F(SnapshotFileReaderTest, ReadsAnyRangeAsStored) {
  BlobCache cache(Loader(), BlobCacheOptions{});
  auto reader = SnapshotFileReader::Open(repo_->index(), DataNode(), cache, 0);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->size(), data_.size());
  EXPECT_EQ((*reader)->blob_count(), kBlobs);
  // Across one blob boundary, inside one blob, across several, and the short read at the end.
  for (auto [offset, length] : std::vector<std::pair<uint64_t, size_t>>{
           {kBlob - 10, 20}, {5, 100}, {kBlob / 2, 3 * kBlob}, {data_.size() - 7, 4096}}) {
    core::Bytes buf(length);
    auto n = (*reader)->Read(offset, buf);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    size_t expected = std::min<size_t>(length, data_.size() - offset);
    ASSERT_EQ(*n, expected);
    EXPECT_TRUE(std::equal(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(expected),
                           data_.begin() + static_cast<ptrdiff_t>(offset)))
        << "offset " << offset;
  }
  core::Bytes past(10);
  EXPECT_EQ(*(*reader)->Read(data_.size(), past), 0u);
}

TEST_F(SnapshotFileReaderTest, CacheHoldsAtMostItsBudget) {
  BlobCacheOptions options;
  options.budget_bytes = 3 * kBlob;
  options.prefetch_threads = 2;
  BlobCache cache(Loader(), options);
  auto reader = SnapshotFileReader::Open(repo_->index(), DataNode(), cache, 2 * kBlob);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadAll(**reader, 128 * 1024 + 3), data_);
  BlobCacheStats stats = cache.stats();
  EXPECT_LE(stats.max_bytes_held, options.budget_bytes);
  EXPECT_GE(stats.max_bytes_held, 2 * kBlob);  // it did cache
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_LE(stats.bytes_held, options.budget_bytes);
}

TEST_F(SnapshotFileReaderTest, SequentialReadsFetchTheNextBlobsAhead) {
  BlobCacheOptions options;
  options.prefetch_threads = 2;
  BlobCache cache(Loader(), options);
  Node node = DataNode();
  auto reader = SnapshotFileReader::Open(repo_->index(), node, cache, 4 * kBlob);
  ASSERT_TRUE(reader.ok());
  core::Bytes buf(4096);
  ASSERT_TRUE((*reader)->Read(0, buf).ok());
  // Only the first blob was asked for; the next four come in the background.
  EXPECT_TRUE(core::PollUntil(
      [&] {
        for (size_t i = 1; i <= 4; ++i) {
          if (!cache.Contains(node.content[i]))
            return false;
        }
        return true;
      },
      30s));
  EXPECT_FALSE(cache.Contains(node.content[6]));
  EXPECT_EQ(cache.stats().prefetches, 4u);
}

TEST_F(SnapshotFileReaderTest, ASeekFetchesNothingAheadUntilReadsFollowIt) {
  BlobCacheOptions options;
  options.prefetch_threads = 2;
  BlobCache cache(Loader(), options);
  Node node = DataNode();
  auto reader = SnapshotFileReader::Open(repo_->index(), node, cache, 4 * kBlob);
  ASSERT_TRUE(reader.ok());
  core::Bytes buf(4096);
  ASSERT_TRUE((*reader)->Read(0, buf).ok());
  uint64_t queued = cache.stats().prefetches_queued;
  EXPECT_EQ(queued, 4u);
  ASSERT_TRUE((*reader)->Read(6 * kBlob, buf).ok());  // a seek: a database's random page read
  EXPECT_EQ(cache.stats().prefetches_queued, queued);
  ASSERT_TRUE((*reader)->Read(6 * kBlob + 4096, buf).ok());  // followed: now it is sequential
  EXPECT_EQ(cache.stats().prefetches_queued, queued + 1);    // the one blob after it
  EXPECT_TRUE(core::PollUntil([&] { return cache.Contains(node.content[7]); }, 30s));
}

TEST_F(SnapshotFileReaderTest, ACorruptBlobFailsTheReadEveryTime) {
  Node node = DataNode();
  auto [pack, offset] = PackOf(node.content[2]);
  {
    std::fstream f(pack, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset + 40));
    char byte = 0;
    f.read(&byte, 1);
    f.seekp(static_cast<std::streamoff>(offset + 40));
    byte = static_cast<char>(byte ^ 0x5a);
    f.write(&byte, 1);
  }
  BlobCache cache(Loader(), BlobCacheOptions{});
  auto reader = SnapshotFileReader::Open(repo_->index(), node, cache, 8 * kBlob);
  ASSERT_TRUE(reader.ok());
  core::Bytes buf(2 * kBlob, 0xee);
  auto first = (*reader)->Read(2 * kBlob - 100, buf);
  EXPECT_EQ(first.status().code(), core::ErrorCode::kCorruption) << first.status().ToString();
  // Not cached as a failure-turned-success: the next read fails again, and the blob before it
  // still reads.
  EXPECT_EQ((*reader)->Read(2 * kBlob + 10, buf).status().code(), core::ErrorCode::kCorruption);
  EXPECT_FALSE(cache.Contains(node.content[2]));
  auto before = (*reader)->Read(kBlob, std::span<uint8_t>(buf.data(), kBlob));
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(std::equal(buf.begin(), buf.begin() + kBlob, data_.begin() + kBlob));
}

TEST_F(SnapshotFileReaderTest, AMissingPackFailsTheRead) {
  Node node = DataNode();
  std::filesystem::remove(PackOf(node.content[0]).first);
  BlobCache cache(Loader(), BlobCacheOptions{});
  auto reader = SnapshotFileReader::Open(repo_->index(), node, cache, 0);
  ASSERT_TRUE(reader.ok());
  core::Bytes buf(100);
  auto read = (*reader)->Read(0, buf);
  EXPECT_FALSE(read.ok());
  EXPECT_EQ(cache.stats().load_errors, 1u);
}

TEST_F(SnapshotFileReaderTest, RefusesAFileWhoseBlobsDoNotAddUpToItsSize) {
  Node node = DataNode();
  node.size += 1;  // a tree that promises more than its blobs hold would read back as zeros
  BlobCache cache(Loader(), BlobCacheOptions{});
  EXPECT_EQ(SnapshotFileReader::Open(repo_->index(), node, cache, 0).status().code(),
            core::ErrorCode::kCorruption);
}

}  // namespace
}  // namespace hasteward::repo
