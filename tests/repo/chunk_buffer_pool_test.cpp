#include "repo/backup/chunk_buffer_pool.h"

#include <vector>

#include <gtest/gtest.h>

namespace hasteward::repo {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

core::PageBuffer Filled(ChunkBufferPool& pool, size_t capacity, size_t bytes) {
  auto buffer = pool.Take(capacity);
  EXPECT_TRUE(buffer.ok()) << buffer.status().ToString();
  std::vector<uint8_t> data(bytes, 0x5a);
  buffer->Append(core::ByteView(data.data(), data.size()));
  return std::move(*buffer);
}

TEST(ChunkBufferPoolTest, AReturnedBufferIsHandedOutAgainEmptyAndStillMapped) {
  ChunkBufferPool pool(ChunkBufferLimits{4 * kMiB, 16 * kMiB});
  core::PageBuffer first = Filled(pool, 4 * kMiB, 4 * kMiB);
  const uint8_t* base = first.data();
  pool.Return(std::move(first));
  EXPECT_EQ(pool.kept_bytes(), 4 * kMiB) << "kept whole: keep_per_buffer is the chunk size";
  auto again = pool.Take(4 * kMiB);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->data(), base) << "the same mapping, not a new one";
  EXPECT_EQ(again->size(), 0u);
  EXPECT_EQ(again->touched(), 4 * kMiB) << "its pages are still there to write into";
  EXPECT_EQ(pool.kept_bytes(), 0u);
}

TEST(ChunkBufferPoolTest, KeepsAtMostKeepPerBufferOfEachAndNothingPastTheBudget) {
  ChunkBufferPool pool(ChunkBufferLimits{1 * kMiB, 2 * kMiB});
  core::PageBuffer a = Filled(pool, 4 * kMiB, 3 * kMiB);
  core::PageBuffer b = Filled(pool, 4 * kMiB, 3 * kMiB);
  core::PageBuffer c = Filled(pool, 4 * kMiB, 3 * kMiB);
  pool.Return(std::move(a));
  pool.Return(std::move(b));
  EXPECT_EQ(pool.kept_bytes(), 2 * kMiB) << "each trimmed to 1 MiB";
  pool.Return(std::move(c));
  EXPECT_EQ(pool.kept_bytes(), 2 * kMiB) << "a third would pass the 2 MiB budget: let go";
}

TEST(ChunkBufferPoolTest, ABufferTooSmallForTheRequestIsNotHandedOut) {
  ChunkBufferPool pool;
  core::PageBuffer small = Filled(pool, 1 * kMiB, 1000);
  const uint8_t* small_base = small.data();
  pool.Return(std::move(small));
  auto large = pool.Take(2 * kMiB);
  ASSERT_TRUE(large.ok());
  EXPECT_GE(large->capacity(), 2 * kMiB);
  EXPECT_NE(large->data(), small_base);
  EXPECT_GT(pool.kept_bytes(), 0u) << "the small one stays for a request it fits";
}

}  // namespace
}  // namespace hasteward::repo
