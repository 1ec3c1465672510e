// The StatefulSet ordinal of a mariadb-operator pod, which decides how far its StatefulSet is
// scaled down to stop it. The suspend/scale/resume flow is in kubernetes_platform_test.cpp (through
// the instance handle) and kubernetes_scenarios_test.cpp (the Galera heal end to end).
#include "platform/kubernetes/mariadb_scaling.h"

#include <gtest/gtest.h>

namespace hasteward::platform::kubernetes {
namespace {

TEST(MariaDbScalingTest, ThePodOrdinalIsItsNumericSuffix) {
  EXPECT_EQ(PodOrdinal("galera-1"), 1);
  EXPECT_EQ(PodOrdinal("my-galera-12"), 12);
  EXPECT_EQ(PodOrdinal("galera-0"), 0);
  EXPECT_EQ(PodOrdinal("galera"), std::nullopt);
  EXPECT_EQ(PodOrdinal("galera-"), std::nullopt);
  EXPECT_EQ(PodOrdinal("galera-1a"), std::nullopt);
  EXPECT_EQ(PodOrdinal("galera-12345678901"), std::nullopt) << "too long for an ordinal";
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
