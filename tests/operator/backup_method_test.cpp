#include "operator/backup_method.h"

#include <gtest/gtest.h>

namespace hasteward::op {
namespace {

TEST(BackupMethodTest, NamesRoundTripAndUnsetIsEmpty) {
  for (BackupMethod m : {BackupMethod::kUnset, BackupMethod::kDump, BackupMethod::kNative}) {
    auto parsed = ParseBackupMethod(BackupMethodName(m), "test");
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_STREQ(BackupMethodName(BackupMethod::kUnset), "");
}

TEST(BackupMethodTest, AnythingElseIsRefusedNamingWhereAndTheChoices) {
  auto bad = ParseBackupMethod("Native", "policy 'p'");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(bad.status().message().find("policy 'p'"), std::string::npos);
  EXPECT_NE(bad.status().message().find("dump or native"), std::string::npos);
}

TEST(BackupMethodTest, TheClustersChoiceWinsUnlessUnset) {
  EXPECT_EQ(BackupMethodOver(BackupMethod::kNative, BackupMethod::kUnset), BackupMethod::kNative);
  EXPECT_EQ(BackupMethodOver(BackupMethod::kNative, BackupMethod::kDump), BackupMethod::kDump);
  EXPECT_EQ(BackupMethodOver(BackupMethod::kUnset, BackupMethod::kUnset), BackupMethod::kUnset);
}

}  // namespace
}  // namespace hasteward::op
