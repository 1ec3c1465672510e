#include "engine/native_restore_steps.h"

#include <gtest/gtest.h>

namespace hasteward::engine {
namespace {

platform::Cluster ThreeInstances() {
  platform::Cluster cluster;
  cluster.name = "shop";
  cluster.ns = "prod";
  for (int ordinal = 0; ordinal < 3; ++ordinal) {
    platform::Instance instance;
    instance.name = "shop-" + std::to_string(ordinal);
    instance.ordinal = ordinal;
    instance.data_dir = "/data/" + instance.name;
    cluster.instances.push_back(instance);
  }
  return cluster;
}

TEST(NativeRestoreStepsTest, ThePlanRebuildsEveryOtherInstanceAndNamesThem) {
  platform::Cluster cluster = ThreeInstances();
  NativeRestorePlan plan;
  NativeRestoreOptions options;
  options.confirm_overwrite = true;
  ASSERT_TRUE(
      CompleteNativeRestorePlan(cluster, cluster.instances[1], "re-cloned", options, plan).ok());
  ASSERT_EQ(plan.rebuild.size(), 2U);
  EXPECT_EQ(plan.rebuild[0].name, "shop-0");
  EXPECT_EQ(plan.rebuild[1].name, "shop-2");
  EXPECT_EQ(plan.reason,
            "data directory of 'shop-1' (/data/shop-1); then 'shop-0', 'shop-2' re-cloned from it");
}

TEST(NativeRestoreStepsTest, WithoutConfirmationItRefusesNamingWhatWouldBeReplaced) {
  platform::Cluster cluster = ThreeInstances();
  cluster.instances.resize(1);
  NativeRestorePlan plan;
  core::Status refused =
      CompleteNativeRestorePlan(cluster, cluster.instances[0], "rebuilt", {}, plan);
  EXPECT_EQ(refused.code(), core::ErrorCode::kConfirmationRequired);
  EXPECT_NE(refused.message().find("data directory of 'shop-0' (/data/shop-0)"), std::string::npos)
      << refused.message();
  EXPECT_TRUE(plan.rebuild.empty());
}

}  // namespace
}  // namespace hasteward::engine
