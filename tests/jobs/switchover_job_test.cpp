// The failure classes of an aborted switchover (docs/exit-codes.md): one code per class, the same
// for every engine, and a message that names the failed step.
#include "jobs/switchover_job.h"

#include <gtest/gtest.h>

namespace hasteward::jobs {
namespace {

using core::ErrorCode;
using engine::SwitchoverStep;

core::Status Failed(ErrorCode code) {
  return {code, "it failed", "do this"};
}

TEST(SwitchoverFailureCodeTest, APreCheckRefusalIsASafetyStop) {
  EXPECT_EQ(SwitchoverFailureCode(SwitchoverStep::kPreCheck, Failed(ErrorCode::kInternal)),
            ErrorCode::kSafetyStop);
  EXPECT_EQ(SwitchoverFailureCode(SwitchoverStep::kPreCheck, Failed(ErrorCode::kTimeout)),
            ErrorCode::kSafetyStop);
}

TEST(SwitchoverFailureCodeTest, APreCheckKeepsNotFoundAndUnreachable) {
  EXPECT_EQ(SwitchoverFailureCode(SwitchoverStep::kPreCheck, Failed(ErrorCode::kNotFound)),
            ErrorCode::kNotFound);
  EXPECT_EQ(SwitchoverFailureCode(SwitchoverStep::kPreCheck, Failed(ErrorCode::kUnreachable)),
            ErrorCode::kUnreachable);
}

TEST(SwitchoverFailureCodeTest, FenceStepsAreASafetyStop) {
  EXPECT_EQ(SwitchoverFailureCode(SwitchoverStep::kFence, Failed(ErrorCode::kTimeout)),
            ErrorCode::kSafetyStop);
  EXPECT_EQ(SwitchoverFailureCode(SwitchoverStep::kProveFence, Failed(ErrorCode::kInternal)),
            ErrorCode::kSafetyStop);
}

TEST(SwitchoverFailureCodeTest, ACatchUpThatRanOutIsATimeout) {
  EXPECT_EQ(SwitchoverFailureCode(SwitchoverStep::kCatchUp, Failed(ErrorCode::kSafetyStop)),
            ErrorCode::kTimeout);
}

TEST(SwitchoverFailureCodeTest, EveryStepFromPromotionOnIsDegraded) {
  for (SwitchoverStep step :
       {SwitchoverStep::kPromote, SwitchoverStep::kRepoint, SwitchoverStep::kProveWritable}) {
    EXPECT_EQ(SwitchoverFailureCode(step, Failed(ErrorCode::kUnreachable)),
              ErrorCode::kHealthDegraded)
        << engine::SwitchoverStepName(step);
  }
}

// Two writable instances seen while an operator switched over are not "degraded": the user must
// stop writes first.
TEST(SwitchoverFailureCodeTest, TwoWritableAfterThePromotionKeepSplitBrain) {
  for (SwitchoverStep step :
       {SwitchoverStep::kPromote, SwitchoverStep::kRepoint, SwitchoverStep::kProveWritable}) {
    EXPECT_EQ(SwitchoverFailureCode(step, Failed(ErrorCode::kSplitBrain)), ErrorCode::kSplitBrain)
        << engine::SwitchoverStepName(step);
  }
  EXPECT_EQ(SwitchoverFailureCode(SwitchoverStep::kFence, Failed(ErrorCode::kSplitBrain)),
            ErrorCode::kSafetyStop);
}

TEST(ClassifySwitchoverFailureTest, NamesTheKindAndTheStepAndKeepsTheHint) {
  core::Status st = ClassifySwitchoverFailure(SwitchoverKind::kSwitchover, SwitchoverStep::kCatchUp,
                                              Failed(ErrorCode::kTimeout));
  EXPECT_EQ(st.code(), ErrorCode::kTimeout);
  EXPECT_EQ(st.message(), "switchover aborted at step 'catch-up': it failed");
  EXPECT_EQ(st.hint(), "do this");
}

}  // namespace
}  // namespace hasteward::jobs
