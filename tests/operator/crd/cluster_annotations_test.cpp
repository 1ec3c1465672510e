#include "operator/crd/cluster_annotations.h"

#include <gtest/gtest.h>

namespace hasteward::op {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace cluster_annotations_test {
namespace {

ServeConfig Config() {
  auto config = ParseServeConfig(
      "repositories: [{name: r, repository: /tmp/r, passwordFile: /tmp/p}]\n"
      "policies:\n"
      "  - {name: default, backupSchedule: '0 2 * * *', triageSchedule: '*/15 * * * *',"
      " repositories: [r]}\n"
      "  - {name: nightly, backupSchedule: '0 4 * * *', mode: repair, repositories: [r]}\n",
      "test");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return *config;
}

platform::Cluster Annotated(std::map<std::string, std::string> annotations) {
  platform::Cluster cluster;
  cluster.ns = "db";
  cluster.name = "pg";
  cluster.annotations = std::move(annotations);
  return cluster;
}

TEST(ClusterAnnotationsTest, WithoutThePolicyAnnotationTheClusterIsNotManaged) {
  auto managed = ManagedFromAnnotations(Config(), Annotated({{"other.io/x", "y"}}));
  ASSERT_TRUE(managed.ok());
  EXPECT_FALSE(managed->has_value());
}

TEST(ClusterAnnotationsTest, ThePolicyAppliesAndOverridesWin) {
  auto managed =
      ManagedFromAnnotations(Config(), Annotated({{kPolicyAnnotation, "nightly"},
                                                  {kBackupScheduleAnnotation, "0 3 * * *"},
                                                  {kModeAnnotation, "triage"}}));
  ASSERT_TRUE(managed.ok()) << managed.status().ToString();
  ASSERT_TRUE(managed->has_value());
  const ManagedCluster& c = **managed;
  EXPECT_EQ(c.Key(), "db/pg");
  EXPECT_EQ(c.policy, "nightly");
  EXPECT_EQ(c.backup_schedule, "0 3 * * *");
  EXPECT_EQ(c.mode, "triage");
  ASSERT_EQ(c.repositories.size(), 1U);
  EXPECT_EQ(c.repositories[0].name, "r");
}

TEST(ClusterAnnotationsTest, AnEmptyPolicyMeansTheDefaultPolicy) {
  auto managed = ManagedFromAnnotations(Config(), Annotated({{kPolicyAnnotation, ""}}));
  ASSERT_TRUE(managed.ok());
  ASSERT_TRUE(managed->has_value());
  EXPECT_EQ((*managed)->policy, "default");
  EXPECT_EQ((*managed)->triage_schedule, "*/15 * * * *");
}

TEST(ClusterAnnotationsTest, ExcludeTrueLeavesItAloneAndOtherValuesAreRefused) {
  auto excluded = ManagedFromAnnotations(
      Config(), Annotated({{kPolicyAnnotation, "default"}, {kExcludeAnnotation, "true"}}));
  ASSERT_TRUE(excluded.ok());
  EXPECT_FALSE(excluded->has_value());
  auto kept = ManagedFromAnnotations(
      Config(), Annotated({{kPolicyAnnotation, "default"}, {kExcludeAnnotation, "false"}}));
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->has_value());
  auto bad = ManagedFromAnnotations(
      Config(), Annotated({{kPolicyAnnotation, "default"}, {kExcludeAnnotation, "yes"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::ErrorCode::kUsage);
}

TEST(ClusterAnnotationsTest, PitrOverridesThePolicy) {
  auto on = ManagedFromAnnotations(
      Config(), Annotated({{kPolicyAnnotation, "default"}, {kPitrAnnotation, "true"}}));
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_TRUE((*on)->pitr);
  auto unset = ManagedFromAnnotations(Config(), Annotated({{kPolicyAnnotation, "default"}}));
  ASSERT_TRUE(unset.ok());
  EXPECT_FALSE((*unset)->pitr);
  auto bad = ManagedFromAnnotations(
      Config(), Annotated({{kPolicyAnnotation, "default"}, {kPitrAnnotation, "on"}}));
  EXPECT_EQ(bad.status().code(), core::ErrorCode::kUsage);
}

TEST(ClusterAnnotationsTest, TheBackupMethodOverridesThePolicys) {
  auto native = ManagedFromAnnotations(
      Config(), Annotated({{kPolicyAnnotation, "default"}, {kBackupMethodAnnotation, "native"}}));
  ASSERT_TRUE(native.ok()) << native.status().ToString();
  EXPECT_EQ((*native)->backup_method, BackupMethod::kNative);
  auto unset = ManagedFromAnnotations(Config(), Annotated({{kPolicyAnnotation, "default"}}));
  ASSERT_TRUE(unset.ok());
  EXPECT_EQ((*unset)->backup_method, BackupMethod::kUnset) << "the policy names none";
  auto bad = ManagedFromAnnotations(
      Config(), Annotated({{kPolicyAnnotation, "default"}, {kBackupMethodAnnotation, "snapshot"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(bad.status().message().find("backup-method"), std::string::npos)
      << bad.status().message();
}

TEST(ClusterAnnotationsTest, BadValuesAndMisspeltKeysAreRefusedNamingTheCluster) {
  const std::map<std::string, std::string> bad_cases[] = {
      {{kPolicyAnnotation, "nope"}},
      {{kPolicyAnnotation, "default"}, {kBackupScheduleAnnotation, "every day"}},
      {{kPolicyAnnotation, "default"}, {kModeAnnotation, "heal"}},
      {{kPolicyAnnotation, "default"},
       {"clinic.hasteward.prplanit.com/backup-shedule", "0 1 * * *"}},
  };
  for (const auto& annotations : bad_cases) {
    auto managed = ManagedFromAnnotations(Config(), Annotated(annotations));
    ASSERT_FALSE(managed.ok()) << annotations.rbegin()->first;
    EXPECT_EQ(managed.status().code(), core::ErrorCode::kUsage);
    EXPECT_NE(managed.status().message().find("db/pg"), std::string::npos)
        << managed.status().message();
  }
}

}  // namespace
}  // namespace cluster_annotations_test
}  // namespace hasteward::op
