#include "platform/capabilities.h"

#include <gtest/gtest.h>

#include "platform/instance_handle.h"

namespace hasteward::platform {
namespace {

TEST(CapabilitiesTest, HasWhatWasDeclaredAndNothingElse) {
  Capabilities c{Capability::kCanStartStop, Capability::kDataDirFiles};
  EXPECT_TRUE(c.Has(Capability::kCanStartStop));
  EXPECT_TRUE(c.Has(Capability::kDataDirFiles));
  EXPECT_FALSE(c.Has(Capability::kOperatorOwnsLifecycle));
  EXPECT_FALSE(c.Has(Capability::kLocalFilesystem));
  EXPECT_FALSE(Capabilities{}.Has(Capability::kCanStartStop));
}

TEST(CapabilitiesTest, WithAddsOneAndEqualityComparesSets) {
  Capabilities c = Capabilities{}.With(Capability::kOperatorOwnsLifecycle);
  EXPECT_TRUE(c.Has(Capability::kOperatorOwnsLifecycle));
  EXPECT_EQ(c, Capabilities{Capability::kOperatorOwnsLifecycle});
  EXPECT_FALSE(c == Capabilities{});
}

TEST(CapabilitiesTest, DescribeListsNamesInEnumOrder) {
  EXPECT_EQ(Capabilities{}.Describe(), "");
  Capabilities c{Capability::kDataDirFiles, Capability::kCanStartStop,
                 Capability::kOperatorOwnsLifecycle, Capability::kLocalFilesystem};
  EXPECT_EQ(c.Describe(), "can-start-stop,operator-owns-lifecycle,local-filesystem,data-dir-files");
}

TEST(DataPathTest, RelativePathsInsideTheDataDirectoryAreAccepted) {
  EXPECT_TRUE(InstanceHandle::CheckRelativeDataPath("grastate.dat").ok());
  EXPECT_TRUE(InstanceHandle::CheckRelativeDataPath("pg_wal/000000010000000000000001").ok());
  EXPECT_TRUE(InstanceHandle::CheckRelativeDataPath("a/./b").ok());
}

TEST(DataPathTest, AbsoluteEmptyAndParentPathsAreUsageErrors) {
  for (const char* bad : {"", "/etc/passwd", "..", "../x", "a/../../x", "a/.."}) {
    auto st = InstanceHandle::CheckRelativeDataPath(bad);
    EXPECT_EQ(st.code(), core::ErrorCode::kUsage) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace hasteward::platform
