// The WAL receiver's pieces (catalog/wal/wal_stream_store.h) in a real local repository: a
// segment read back from its pieces is its bytes from the start as far as they reach without a
// hole, zero-filled after; overlapping pieces that disagree, a piece of another cluster and a
// damaged piece are corruption; a merge keeps the bytes and leaves one piece. Property test:
// random writes (seed printed), checked against a model after each step.
#include "catalog/wal/wal_stream_store.h"

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "catalog/wal/wal_index.h"
#include "pitr/wal/wal_dir_test.h"

namespace hasteward::catalog {
namespace {

constexpr uint64_t kSegment = 16 * 1024 * 1024;

class WalStreamStoreTest : public pitr::WalDirTest {
 protected:
  void SetUp() override { SetUpWalDir("hs-wal-stream-", "ws"); }

  WalStreamStore Open(const platform::Cluster& cluster) {
    auto store = WalStreamStore::Open(*repo_, cluster);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(*store);
  }

  static core::Bytes Pattern(size_t n, uint8_t seed) {
    core::Bytes out(n);
    for (size_t i = 0; i < n; ++i) {
      out[i] = static_cast<uint8_t>(seed + i * 7);
    }
    return out;
  }
};

TEST_F(WalStreamStoreTest, ASegmentIsItsContiguousBytesFromTheStartZeroFilledAfter) {
  WalStreamStore store = Open(cluster_);
  core::Bytes first = Pattern(1000, 1);
  core::Bytes second = Pattern(500, 2);
  ASSERT_TRUE(store.Write(1, 3, 0, first, "sys").ok());
  ASSERT_TRUE(store.Write(1, 3, 1000, second, "sys").ok());
  // Past a hole: stored, never served.
  ASSERT_TRUE(store.Write(1, 3, 4000, Pattern(10, 3), "sys").ok());

  WalStreamStore reopened = Open(cluster_);
  ASSERT_EQ(reopened.Pieces(1, 3).size(), 3U);
  auto read = reopened.Read(1, 3, kSegment, "sys");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->durable_end, 1500U);
  ASSERT_EQ(read->bytes.size(), kSegment);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), read->bytes.begin()));
  EXPECT_TRUE(std::equal(second.begin(), second.end(), read->bytes.begin() + 1000));
  EXPECT_TRUE(
      std::all_of(read->bytes.begin() + 1500, read->bytes.end(), [](uint8_t b) { return b == 0; }));
  EXPECT_EQ(reopened.Read(1, 4, kSegment).status().code(), core::ErrorCode::kNotFound);
}

TEST_F(WalStreamStoreTest, DisagreeingOverlapAnotherServerAndDamageAreCorruption) {
  WalStreamStore store = Open(cluster_);
  ASSERT_TRUE(store.Write(1, 5, 0, Pattern(100, 1), "sys").ok());
  EXPECT_EQ(store.Read(1, 5, kSegment, "other-system").status().code(),
            core::ErrorCode::kCorruption);
  ASSERT_TRUE(store.Write(1, 5, 50, Pattern(100, 9), "sys").ok());
  EXPECT_EQ(store.Read(1, 5, kSegment, "sys").status().code(), core::ErrorCode::kCorruption);

  // A piece renamed under another cluster's key: its header still names the first cluster.
  platform::Cluster other = cluster_;
  other.name = "other";
  WalStreamStore theirs = Open(other);
  ASSERT_TRUE(theirs.Write(1, 6, 0, Pattern(10, 1), "sys").ok());
  const std::string dir = RepoPath() + "/hasteward/wal-stream/";
  const std::string their_file = theirs.Pieces(1, 6).front().file;
  const std::string mine = ArchiveFileKey(cluster_) + their_file.substr(their_file.find('-'));
  std::filesystem::rename(dir + their_file, dir + mine);
  EXPECT_EQ(Open(cluster_).Read(1, 6, kSegment).status().code(), core::ErrorCode::kCorruption);

  // A damaged piece (a flipped byte) does not decrypt.
  ASSERT_TRUE(store.Write(1, 7, 0, Pattern(100, 1), "sys").ok());
  const std::string damaged = dir + store.Pieces(1, 7).front().file;
  std::filesystem::permissions(damaged, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  {
    // Flipped, not overwritten: an overwrite leaves the piece intact when the byte had that
    // value (one run in 256).
    std::fstream f(damaged, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(40);
    const int byte = f.get();
    f.seekp(40);
    f.put(static_cast<char>(byte ^ 0xff));
  }
  EXPECT_EQ(Open(cluster_).Read(1, 7, kSegment).status().code(), core::ErrorCode::kCorruption);
}

TEST_F(WalStreamStoreTest, RandomWritesReadBackAsTheModelAndMergeKeepsTheBytes) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  WalStreamStore store = Open(cluster_);
  core::Bytes model(kSegment, 0);
  std::vector<bool> covered(kSegment, false);
  for (int step = 0; step < 24; ++step) {
    // Mostly appends at the end, sometimes a rewrite of stored bytes (a restarted receiver).
    uint32_t end = 0;
    while (end < kSegment && covered[end]) {
      ++end;
    }
    const bool rewrite = end > 0 && rng() % 4 == 0;
    const uint32_t start = rewrite ? static_cast<uint32_t>(rng() % end) : end;
    const uint32_t length = 1 + static_cast<uint32_t>(rng() % 20000);
    core::Bytes data(length);
    for (uint32_t i = 0; i < length; ++i) {
      const uint32_t at = start + i;
      data[i] = covered[at] ? model[at] : static_cast<uint8_t>(rng());
      model[at] = data[i];
      covered[at] = true;
    }
    ASSERT_TRUE(store.Write(2, 9, start, data, "sys").ok()) << "step " << step;
    if (step % 8 == 7) {
      auto merged = store.Merge(2, 9, kSegment, "sys");
      ASSERT_TRUE(merged.ok()) << merged.status().ToString();
      EXPECT_EQ(Open(cluster_).Pieces(2, 9).size(), 1U) << "step " << step;
    }
    auto read = Open(cluster_).Read(2, 9, kSegment, "sys");
    ASSERT_TRUE(read.ok()) << read.status().ToString() << " step " << step;
    uint32_t expected_end = 0;
    while (expected_end < kSegment && covered[expected_end]) {
      ++expected_end;
    }
    ASSERT_EQ(read->durable_end, expected_end) << "step " << step;
    ASSERT_TRUE(std::equal(read->bytes.begin(), read->bytes.begin() + expected_end, model.begin()))
        << "step " << step;
  }
}

}  // namespace
}  // namespace hasteward::catalog
