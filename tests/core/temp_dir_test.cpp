#include "core/temp_dir.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace hasteward::core {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace temp_dir_test {
namespace {

namespace fs = std::filesystem;

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
}

TEST(TempDirTest, CreatesPrivateDirectoryUnderParentWithPrefix) {
  auto parent = TempDir::Create("hs-temp-dir-test-parent-");
  ASSERT_TRUE(parent.ok()) << parent.status().ToString();
  auto dir = TempDir::Create("owner-", parent->path());
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(dir->path().rfind(parent->path() + "/owner-", 0), 0U) << dir->path();
  struct stat st {};
  ASSERT_EQ(::stat(dir->path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700U);
}

TEST(TempDirTest, TwoDirectoriesAreDistinct) {
  auto a = TempDir::Create("hs-temp-dir-test-");
  auto b = TempDir::Create("hs-temp-dir-test-");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->path(), b->path());
}

TEST(TempDirTest, DestructionRemovesNestedContent) {
  std::string path;
  {
    auto dir = TempDir::Create("hs-temp-dir-test-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    path = dir->path();
    ASSERT_TRUE(MakeDirs(path + "/a/b/c").ok());
    WriteFile(path + "/top.txt", "top");
    WriteFile(path + "/a/b/c/deep.txt", "deep");
    ASSERT_EQ(::chmod((path + "/a/b").c_str(), 0500), 0);  // read-only dir: root removes anyway
    ASSERT_TRUE(fs::exists(path + "/a/b/c/deep.txt"));
  }
  EXPECT_FALSE(fs::exists(path)) << path << " survived its TempDir";
}

TEST(TempDirTest, RemovalDoesNotFollowSymlinks) {
  auto outside = TempDir::Create("hs-temp-dir-test-outside-");
  ASSERT_TRUE(outside.ok()) << outside.status().ToString();
  WriteFile(outside->path() + "/precious.txt", "keep me");
  std::string path;
  {
    auto dir = TempDir::Create("hs-temp-dir-test-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    path = dir->path();
    fs::create_directory_symlink(outside->path(), path + "/link");
    ASSERT_TRUE(fs::exists(path + "/link/precious.txt"));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::exists(outside->path() + "/precious.txt"))
      << "removing a temp dir deleted files behind a symlink";
}

TEST(TempDirTest, KeepLeavesTheDirectory) {
  std::string path;
  {
    auto dir = TempDir::Create("hs-temp-dir-test-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    path = dir->path();
    dir->Keep();
    EXPECT_EQ(dir->path(), "");
  }
  EXPECT_TRUE(fs::is_directory(path));
  EXPECT_TRUE(RemoveAll(path).ok());
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempDirTest, MoveTransfersOwnership) {
  std::string path;
  {
    auto dir = TempDir::Create("hs-temp-dir-test-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    path = dir->path();
    TempDir moved(std::move(*dir));
    EXPECT_EQ(moved.path(), path);
    EXPECT_EQ(dir->path(), "");  // NOLINT(bugprone-use-after-move): documents the moved-from state
    { TempDir sink = std::move(moved); }
    EXPECT_FALSE(fs::exists(path)) << "the new owner's destruction removes it";
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempDirTest, MoveAssignmentRemovesTheDirectoryItReplaces) {
  auto a = TempDir::Create("hs-temp-dir-test-");
  auto b = TempDir::Create("hs-temp-dir-test-");
  ASSERT_TRUE(a.ok() && b.ok());
  std::string a_path = a->path();
  std::string b_path = b->path();
  *a = std::move(*b);
  EXPECT_FALSE(fs::exists(a_path));
  EXPECT_EQ(a->path(), b_path);
  EXPECT_TRUE(fs::exists(b_path));
}

TEST(TempDirTest, CreateUnderMissingParentFails) {
  auto dir = TempDir::Create("x-", "/nonexistent/hasteward/parent");
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.status().message().find("'/nonexistent/hasteward/parent'"), std::string::npos)
      << dir.status().message();
}

TEST(RemoveAllTest, MissingPathAndEmptyPathAreNotErrors) {
  EXPECT_TRUE(RemoveAll("/nonexistent/hasteward/path").ok());
  EXPECT_TRUE(RemoveAll("").ok());
}

TEST(MakeDirsTest, CreatesParentsWithModeAndIsIdempotent) {
  auto dir = TempDir::Create("hs-temp-dir-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  std::string leaf = dir->path() + "/x/y/z";
  ASSERT_TRUE(MakeDirs(leaf, 0750).ok());
  struct stat st {};
  ASSERT_EQ(::stat(leaf.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0750U);
  EXPECT_TRUE(MakeDirs(leaf, 0750).ok());
}

TEST(MakeDirsTest, FailsWhenAFileIsInTheWay) {
  auto dir = TempDir::Create("hs-temp-dir-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  WriteFile(dir->path() + "/file", "x");
  Status s = MakeDirs(dir->path() + "/file/sub");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kStorage);
  EXPECT_NE(s.message().find("/file/sub'"), std::string::npos) << s.message();
}

// A pid that named a process which has exited and been reaped.
pid_t DeadPid() {
  pid_t child = ::fork();
  if (child == 0) {
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

TEST(TempDirTest, AnOwnedDirectoryCarriesThePidOfItsProcessInItsName) {
  auto parent = TempDir::Create("hs-temp-dir-test-parent-");
  ASSERT_TRUE(parent.ok()) << parent.status().ToString();
  auto owned = TempDir::CreateOwned("replay-", parent->path());
  ASSERT_TRUE(owned.ok()) << owned.status().ToString();
  std::string expected = parent->path() + "/replay-" + std::to_string(::getpid()) + "-";
  EXPECT_EQ(owned->path().rfind(expected, 0), 0U) << owned->path();
}

// What a killed run left is removed; what a live process, another prefix, an unowned name or a
// symlink named like a leftover holds is not.
TEST(TempDirTest, TheSweepRemovesOnlyDirectoriesOfDeadOwners) {
  auto parent = TempDir::Create("hs-temp-dir-test-parent-");
  ASSERT_TRUE(parent.ok()) << parent.status().ToString();
  const std::string base = parent->path() + "/";
  const std::string dead = std::to_string(DeadPid());
  const std::string alive = std::to_string(::getpid());
  ASSERT_TRUE(MakeDirs(base + "replay-" + dead + "-AbC123/inner").ok());
  WriteFile(base + "replay-" + dead + "-AbC123/inner/0.binlog", "rows");
  ASSERT_TRUE(MakeDirs(base + "replay-" + alive + "-XyZ789").ok());
  ASSERT_TRUE(MakeDirs(base + "other-" + dead + "-AbC123").ok());
  ASSERT_TRUE(MakeDirs(base + "replay-AbC123").ok());  // made by Create: no pid in the name
  ASSERT_TRUE(MakeDirs(base + "kept").ok());
  ASSERT_EQ(::symlink((base + "kept").c_str(), (base + "replay-" + dead + "-LiNk00").c_str()), 0);

  EXPECT_EQ(SweepAbandonedTempDirs("replay-", parent->path()), 1);
  EXPECT_FALSE(fs::exists(base + "replay-" + dead + "-AbC123"));
  EXPECT_TRUE(fs::exists(base + "replay-" + alive + "-XyZ789"));
  EXPECT_TRUE(fs::exists(base + "other-" + dead + "-AbC123"));
  EXPECT_TRUE(fs::exists(base + "replay-AbC123"));
  EXPECT_TRUE(fs::is_symlink(base + "replay-" + dead + "-LiNk00"));
  EXPECT_TRUE(fs::exists(base + "kept"));

  // CreateOwned sweeps first.
  ASSERT_TRUE(MakeDirs(base + "replay-" + dead + "-DeF456").ok());
  auto owned = TempDir::CreateOwned("replay-", parent->path());
  ASSERT_TRUE(owned.ok()) << owned.status().ToString();
  EXPECT_FALSE(fs::exists(base + "replay-" + dead + "-DeF456"));
}

}  // namespace
}  // namespace temp_dir_test
}  // namespace hasteward::core
