// Which snapshots a restore's --method selects, and the facts a native snapshot carries in its
// tags.
#include <gtest/gtest.h>

#include "catalog/base_backup_record.h"
#include "jobs/jobs.h"
#include "jobs/native_backup.h"

namespace hasteward::jobs {
namespace {

repo::Snapshot WithTags(std::vector<std::string> tags) {
  repo::Snapshot snapshot;
  snapshot.tags = std::move(tags);
  return snapshot;
}

TEST(SnapshotMethodTest, ParsesTheMethodsAndRefusesOthers) {
  EXPECT_EQ(*ParseSnapshotMethod(""), SnapshotMethod::kAny);
  EXPECT_EQ(*ParseSnapshotMethod("any"), SnapshotMethod::kAny);
  EXPECT_EQ(*ParseSnapshotMethod("dump"), SnapshotMethod::kDump);
  EXPECT_EQ(*ParseSnapshotMethod("native"), SnapshotMethod::kNative);
  auto bad = ParseSnapshotMethod("physical");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::ErrorCode::kUsage);
}

TEST(SnapshotMethodTest, ADumpCarriesNoMethodTagAndANativeBackupCarriesMethodNative) {
  repo::Snapshot dump = WithTags({"engine=mariadb", "cluster=shop", "type=backup"});
  repo::Snapshot native = WithTags({"engine=mariadb", "method=native", "gtid_position=0-1-42"});
  EXPECT_TRUE(HasMethod(dump, SnapshotMethod::kDump));
  EXPECT_FALSE(HasMethod(dump, SnapshotMethod::kNative));
  EXPECT_TRUE(HasMethod(native, SnapshotMethod::kNative));
  EXPECT_FALSE(HasMethod(native, SnapshotMethod::kDump));
  EXPECT_TRUE(HasMethod(dump, SnapshotMethod::kAny));
  EXPECT_TRUE(HasMethod(native, SnapshotMethod::kAny));
}

TEST(SnapshotMethodTest, FactsAreTheKeyValueTags) {
  auto facts =
      catalog::TagFacts(WithTags({"method=native", "gtid_position=0-1-42,1-2-3", "loose"}).tags);
  EXPECT_EQ(facts["gtid_position"], "0-1-42,1-2-3");
  EXPECT_EQ(facts["method"], "native");
  EXPECT_FALSE(facts.count("loose"));
}

}  // namespace
}  // namespace hasteward::jobs
