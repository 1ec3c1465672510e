#include "engine/switchover.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace hasteward::engine {
namespace {

// Every step has its own name: an abort report and the serve metric name the failed step, so two
// steps sharing a name would make an aborted fence look like an aborted catch-up.
TEST(SwitchoverStepTest, EveryStepHasADistinctName) {
  const SwitchoverStep steps[] = {SwitchoverStep::kPreCheck,     SwitchoverStep::kFence,
                                  SwitchoverStep::kProveFence,   SwitchoverStep::kCatchUp,
                                  SwitchoverStep::kPromote,      SwitchoverStep::kRepoint,
                                  SwitchoverStep::kProveWritable};
  std::set<std::string> names;
  for (SwitchoverStep step : steps) {
    std::string name = SwitchoverStepName(step);
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(std::string(SwitchoverStepName(SwitchoverStep::kCatchUp)), "catch-up");
}

TEST(SwitchoverStepTest, DefaultReportIsNotAnAbort) {
  SwitchoverReport report;
  EXPECT_TRUE(report.status.ok());
  EXPECT_FALSE(report.failed_step.has_value());
}

}  // namespace
}  // namespace hasteward::engine
