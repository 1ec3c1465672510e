#include "repo/mount/snapshot_tree.h"

#include "repo/mount/mount_fixture.h"

namespace hasteward::repo {
namespace {

using SnapshotTreeTest = MountFixture;

TEST_F(SnapshotTreeTest, LooksUpFilesDirectoriesAndSymlinks) {
  auto tree = SnapshotTree::Open(*repo_, snap_, "");
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  auto root = (*tree)->Lookup("/");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->type, "dir");
  auto file = (*tree)->Lookup("/ns/db/data.bin");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->type, "file");
  EXPECT_EQ(file->size, data_.size());
  EXPECT_EQ(file->content.size(), kBlobs);
  auto link = (*tree)->Lookup("ns/db/link");
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link->type, "symlink");
  EXPECT_EQ(link->linktarget, "data.bin");
  auto dir = (*tree)->Lookup("/ns/db");
  ASSERT_TRUE(dir.ok());
  auto entries = (*tree)->List(*dir);
  ASSERT_TRUE(entries.ok());
  std::vector<std::string> names;
  for (const auto& n : *entries)
    names.push_back(n.name);
  EXPECT_EQ(names, (std::vector<std::string>{"data.bin", "empty", "link", "small.txt"}));
}

TEST_F(SnapshotTreeTest, MissingPathsAreNotFoundAndFilesAreNotDirectories) {
  auto tree = SnapshotTree::Open(*repo_, snap_, "");
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ((*tree)->Lookup("/ns/nope").status().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ((*tree)->Lookup("/ns/db/small.txt/x").status().code(), core::ErrorCode::kNotFound);
  auto file = (*tree)->Lookup("/ns/db/small.txt");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*tree)->List(*file).status().code(), core::ErrorCode::kUsage);
}

TEST_F(SnapshotTreeTest, MountsASubTree) {
  auto tree = SnapshotTree::Open(*repo_, snap_, "ns/db");
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  auto file = (*tree)->Lookup("/small.txt");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->size, 3u);
  EXPECT_EQ(SnapshotTree::Open(*repo_, snap_, "ns/db/small.txt").status().code(),
            core::ErrorCode::kUsage);
  EXPECT_EQ(SnapshotTree::Open(*repo_, snap_, "ns/missing").status().code(),
            core::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace hasteward::repo
