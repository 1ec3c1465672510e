#include "core/os_user.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace hasteward::core {
namespace {

TEST(OsUserTest, CurrentUserMatchesTheEffectiveUid) {
  OsUser me = CurrentOsUser();
  EXPECT_EQ(me.uid, ::geteuid());
  EXPECT_FALSE(me.name.empty());
  EXPECT_EQ(RunningAsRoot(), ::geteuid() == 0);
}

TEST(OsUserTest, LookupFindsRootAndNamesAMissingUser) {
  auto root = LookupOsUser("root");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->uid, 0U);
  auto missing = LookupOsUser("hs-no-such-user-x9");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("'hs-no-such-user-x9'"), std::string::npos);
}

TEST(OsUserTest, AnEmptyUserLeavesTheOptionsAlone) {
  SubprocessOptions o;
  ASSERT_TRUE(RunAsOsUser("", o).ok());
  EXPECT_FALSE(o.uid.has_value());
  EXPECT_TRUE(o.env_set.empty());
}

TEST(OsUserTest, AsRootAnotherUserSwitchesUidGidAndEnvironment) {
  if (!RunningAsRoot()) {
    GTEST_SKIP() << "switching users needs root";
  }
  auto nobody = LookupOsUser("nobody");
  ASSERT_TRUE(nobody.ok());
  SubprocessOptions o;
  o.argv = {"id", "-un"};
  ASSERT_TRUE(RunAsOsUser("nobody", o).ok());
  EXPECT_EQ(o.uid, nobody->uid);
  EXPECT_EQ(o.gid, nobody->gid);
  EXPECT_EQ(o.env_set["USER"], "nobody");
  EXPECT_EQ(o.cwd, "/");
  auto out = RunChecked(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "nobody\n");
}

TEST(OsUserTest, AnUnknownUserIsAnError) {
  if (!RunningAsRoot()) {
    GTEST_SKIP() << "non-root never switches users, so never looks the user up";
  }
  SubprocessOptions o;
  EXPECT_EQ(RunAsOsUser("hs-no-such-user-x9", o).code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace hasteward::core
