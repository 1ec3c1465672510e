#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/temp_dir.h"
#include "platform/sandbox/sandbox_build.h"

namespace hasteward::platform::sandbox {
namespace {

TEST(SandboxSocketDirTest, AShortInstanceDirectoryKeepsItsSocket) {
  EXPECT_EQ(SocketDirFor("/var/lib/hs/it/pg/pg-0/sock", ".s.PGSQL.20001"),
            "/var/lib/hs/it/pg/pg-0/sock");
  EXPECT_EQ(SocketFallbackDirOf("/var/lib/hs/it/pg/pg-0/sock"), "");
}

TEST(SandboxSocketDirTest, ADeepOneGetsAShortDirectoryOfItsOwnThatFitsTheKernelsLimit) {
  const std::string deep =
      "/tmp/hs-bench-instant-CBbGit/state/verify/11596-1795695805184/state/"
      "verify/scratch/scratch-0/sock";
  const std::string file = ".s.PGSQL.20001";
  std::string dir = SocketDirFor(deep, file);
  EXPECT_NE(dir, deep);
  EXPECT_LE((dir + "/" + file).size(), 107U) << dir;
  EXPECT_EQ(SocketDirFor(deep, file), dir) << "the same instance directory maps to the same place";
  EXPECT_NE(SocketDirFor(deep + "x", file), dir) << "another instance gets another directory";
  EXPECT_EQ(SocketFallbackDirOf(dir), dir);
  EXPECT_EQ(SocketFallbackDirOf(dir + "/mariadbd.sock"), dir);
}

TEST(SandboxSocketDirTest, TheLimitCountsTheSocketFilesName) {
  std::string fits(107 - 1 - 13, 'd');  // "/" + "mariadbd.sock" (13) make exactly 107
  fits[0] = '/';
  EXPECT_EQ(SocketDirFor(fits, "mariadbd.sock"), fits);
  EXPECT_NE(SocketDirFor(fits + "d", "mariadbd.sock"), fits + "d");
}

// The fallback lives in /tmp, where anyone may make the name first: chmod and chown follow a
// symlink, so a planted one must be refused before they would reach its target.
TEST(SandboxSocketDirTest, APlantedSymlinkIsRefusedAndItsTargetKeepsItsMode) {
  auto dir = core::TempDir::Create("hs-sockdir-test-");
  ASSERT_TRUE(dir.ok());
  const std::string target = dir->path() + "/target";
  ASSERT_EQ(::mkdir(target.c_str(), 0751), 0);
  const std::string planted = dir->path() + "/hasteward-sock-planted";
  std::filesystem::create_directory_symlink(target, planted);
  core::Status made = MakeSocketFallbackDir(planted, 0700, "");
  EXPECT_EQ(made.code(), core::ErrorCode::kAlreadyExists) << made.ToString();
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0751U);
}

TEST(SandboxSocketDirTest, AFreshOrOwnDirectoryIsMadeWithItsMode) {
  auto dir = core::TempDir::Create("hs-sockdir-test-");
  ASSERT_TRUE(dir.ok());
  const std::string path = dir->path() + "/hasteward-sock-fresh";
  for (int run = 0; run < 2; ++run) {  // the second finds the directory the first made
    core::Status made = MakeSocketFallbackDir(path, 0700, "");
    ASSERT_TRUE(made.ok()) << made.ToString();
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0700U);
  }
}

}  // namespace
}  // namespace hasteward::platform::sandbox
