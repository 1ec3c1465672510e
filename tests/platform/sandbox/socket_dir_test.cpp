#include <string>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hasteward::platform::sandbox
