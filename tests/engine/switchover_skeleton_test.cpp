#include "engine/switchover_skeleton.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hasteward::engine {
namespace {

// Steps that record their calls and fail at one chosen step. `undo_before_promotion` is the
// engine's rule: a switchover undoes an abort before its promotion took effect, a failover never.
class RecordingSteps final : public SwitchoverSteps {
 public:
  explicit RecordingSteps(std::optional<SwitchoverStep> fail_at = std::nullopt,
                          bool undo_before_promotion = true)
      : fail_at_(fail_at), undo_before_promotion_(undo_before_promotion) {}

  core::Result<std::string> PreCheck() override { return Step(SwitchoverStep::kPreCheck); }
  core::Result<std::string> Fence() override {
    fenced_ = true;
    return Step(SwitchoverStep::kFence);
  }
  core::Result<std::string> ProveFence() override { return Step(SwitchoverStep::kProveFence); }
  core::Result<std::string> CatchUp() override { return Step(SwitchoverStep::kCatchUp); }
  core::Result<std::string> Promote() override {
    auto r = Step(SwitchoverStep::kPromote);
    promoted_ = r.ok();
    return r;
  }
  core::Result<std::string> Repoint() override { return Step(SwitchoverStep::kRepoint); }
  core::Result<std::string> ProveWritable() override {
    return Step(SwitchoverStep::kProveWritable);
  }
  bool NeedsUndo() const override { return undo_before_promotion_ && fenced_ && !promoted_; }
  std::string Undo() override {
    calls.emplace_back("undo");
    return "; put back";
  }
  std::string PromotedAt() const override { return "0-1-42"; }

  std::vector<std::string> calls;

 private:
  core::Result<std::string> Step(SwitchoverStep step) {
    calls.emplace_back(SwitchoverStepName(step));
    if (fail_at_ == step)
      return core::Status(core::ErrorCode::kTimeout, "failed");
    return std::string("done");
  }

  std::optional<SwitchoverStep> fail_at_;
  bool undo_before_promotion_;
  bool fenced_ = false;
  bool promoted_ = false;
};

using Calls = std::vector<std::string>;

TEST(SwitchoverSkeletonTest, RunsTheSevenStepsInOrderAndReportsThePromotion) {
  RecordingSteps steps;
  SwitchoverReport report = RunSwitchoverSteps(SwitchoverPlan{}, steps);
  EXPECT_TRUE(report.status.ok());
  EXPECT_EQ(steps.calls, (Calls{"pre-check", "fence", "prove-fence", "catch-up", "promote",
                                "repoint", "prove-writable"}));
  EXPECT_EQ(report.steps.size(), 7U);
  EXPECT_EQ(report.promoted_at, "0-1-42");
}

TEST(SwitchoverSkeletonTest, AnAbortBeforeThePromotionIsUndoneOnceAndNothingIsPromoted) {
  RecordingSteps steps(SwitchoverStep::kCatchUp);
  SwitchoverReport report = RunSwitchoverSteps(SwitchoverPlan{}, steps);
  EXPECT_EQ(steps.calls, (Calls{"pre-check", "fence", "prove-fence", "catch-up", "undo"}));
  EXPECT_EQ(report.failed_step, SwitchoverStep::kCatchUp);
  EXPECT_EQ(report.status.message(), "failed; put back");
  EXPECT_EQ(report.promoted_at, "");
}

TEST(SwitchoverSkeletonTest, APromotionThatFailedIsUndoneWhenTheEngineSaysItDidNotTakeEffect) {
  RecordingSteps steps(SwitchoverStep::kPromote);
  SwitchoverReport report = RunSwitchoverSteps(SwitchoverPlan{}, steps);
  EXPECT_EQ(steps.calls.back(), "undo");
  EXPECT_EQ(report.failed_step, SwitchoverStep::kPromote);
  EXPECT_EQ(report.promoted_at, "");
}

TEST(SwitchoverSkeletonTest, NothingIsUndoneWhenNothingWasFencedOrTheEngineGoesOnlyForward) {
  RecordingSteps unfenced(SwitchoverStep::kPreCheck);
  RunSwitchoverSteps(SwitchoverPlan{}, unfenced);
  EXPECT_EQ(unfenced.calls, Calls{"pre-check"});
  RecordingSteps failover(SwitchoverStep::kCatchUp, /*undo_before_promotion=*/false);
  RunSwitchoverSteps(SwitchoverPlan{}, failover);
  EXPECT_EQ(failover.calls.back(), "catch-up");
}

TEST(SwitchoverSkeletonTest, AFailureAfterThePromotionKeepsThePromotionAndIsNotUndone) {
  RecordingSteps steps(SwitchoverStep::kRepoint);
  SwitchoverReport report = RunSwitchoverSteps(SwitchoverPlan{}, steps);
  EXPECT_EQ(steps.calls.back(), "repoint");
  EXPECT_EQ(report.failed_step, SwitchoverStep::kRepoint);
  EXPECT_EQ(report.promoted_at, "0-1-42");
}

}  // namespace
}  // namespace hasteward::engine
