#include "repo/mount/blob_cache.h"

#include <thread>

#include "repo/mount/mount_fixture.h"
#include "repo/mount/snapshot_tree.h"

namespace hasteward::repo {
namespace {

using BlobCacheTest = MountFixture;

TEST_F(BlobCacheTest, ConcurrentReadersOfOneBlobShareOneLoad) {
  auto tree = SnapshotTree::Open(*repo_, snap_, "");
  ASSERT_TRUE(tree.ok());
  auto node = (*tree)->Lookup("/ns/db/data.bin");
  ASSERT_TRUE(node.ok());
  BlobCache cache(Loader(), BlobCacheOptions{});
  std::vector<std::thread> readers;
  std::vector<size_t> sizes(8);
  for (size_t k = 0; k < sizes.size(); ++k) {
    readers.emplace_back([&, k] {
      auto blob = cache.Get(node->content[3]);
      sizes[k] = blob.ok() ? (*blob)->size() : 0;
    });
  }
  for (auto& t : readers)
    t.join();
  for (size_t size : sizes)
    EXPECT_EQ(size, kBlob);
  EXPECT_EQ(cache.stats().loads, 1u);
  EXPECT_EQ(cache.stats().hits, sizes.size() - 1);
}

TEST_F(BlobCacheTest, ABlobLargerThanTheBudgetIsServedButNotKept) {
  auto tree = SnapshotTree::Open(*repo_, snap_, "");
  ASSERT_TRUE(tree.ok());
  auto node = (*tree)->Lookup("/ns/db/data.bin");
  ASSERT_TRUE(node.ok());
  BlobCacheOptions options;
  options.budget_bytes = kBlob - 1;
  BlobCache cache(Loader(), options);
  auto blob = cache.Get(node->content[0]);
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  EXPECT_TRUE(std::equal((*blob)->begin(), (*blob)->end(), data_.begin()));
  EXPECT_FALSE(cache.Contains(node->content[0]));
  EXPECT_EQ(cache.stats().bytes_held, 0u);
}

}  // namespace
}  // namespace hasteward::repo
