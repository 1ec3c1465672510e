#include "core/mount_table.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/mount.h>

#include "core/temp_dir.h"

namespace hasteward::core {
namespace mount_table_test {
namespace {

namespace fs = std::filesystem;

// Real tmpfs mounts under a private directory (needs root; skipped otherwise), detached again by
// the fixture whatever the test did.
class MountTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("hs-mount-table-test-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_ = std::move(*dir);
    root_ = fs::canonical(dir_->path()).string();
  }
  void TearDown() override { (void)DetachMountsUnder(root_); }

  // Mounts a tmpfs at `path` (created); false (the test is skipped) when this user may not.
  bool MountTmpfs(const std::string& path) {
    fs::create_directories(path);
    if (::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=1m") == 0)
      return true;
    reason_ = std::string("mount tmpfs: ") + std::strerror(errno);
    return false;
  }

  std::optional<TempDir> dir_;
  std::string root_;
  std::string reason_;
};

TEST_F(MountTableTest, ListsTheMountsBelowADirectoryDeepestFirstAndDetachesThemAll) {
  const std::string outer = root_ + "/a";
  const std::string inner = root_ + "/a/b c";  // a space: mountinfo escapes it as \040
  if (!MountTmpfs(outer) || !MountTmpfs(inner))
    GTEST_SKIP() << reason_;
  EXPECT_TRUE(IsMountpoint(outer));
  EXPECT_TRUE(IsMountpoint(inner));
  EXPECT_FALSE(IsMountpoint(root_));
  EXPECT_EQ(MountpointsUnder(root_), (std::vector<std::string>{inner, outer}));
  EXPECT_EQ(MountpointsUnder(outer), (std::vector<std::string>{inner}));

  ASSERT_TRUE(DetachMountsUnder(root_).ok());
  EXPECT_TRUE(MountpointsUnder(root_).empty());
  EXPECT_FALSE(IsMountpoint(outer));
  std::error_code ec;
  fs::remove_all(root_ + "/a", ec);
  EXPECT_FALSE(ec) << ec.message();
}

TEST_F(MountTableTest, ASymlinkToAMountpointIsOneAndStackedMountsAreAllDetached) {
  const std::string target = root_ + "/m";
  if (!MountTmpfs(target) || !MountTmpfs(target))
    GTEST_SKIP() << reason_;
  fs::create_directory_symlink(target, root_ + "/link");
  EXPECT_TRUE(IsMountpoint(root_ + "/link"));
  ASSERT_TRUE(DetachMountsUnder(root_).ok());
  EXPECT_FALSE(IsMountpoint(target));
}

TEST_F(MountTableTest, NothingMountedBelowIsNothingToDo) {
  fs::create_directories(root_ + "/empty/dir");
  EXPECT_TRUE(MountpointsUnder(root_).empty());
  EXPECT_TRUE(DetachMountsUnder(root_).ok());
}

}  // namespace
}  // namespace mount_table_test
}  // namespace hasteward::core
