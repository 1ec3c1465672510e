// The kill-after-every-step suites of both engines' switchover (postgres_switchover_test,
// switchover_test) share their parameters: the failpoint name of each step, and a test name
// gtest accepts ("prove-fence" -> "prove_fence").
#pragma once

#include <string>

#include <gtest/gtest.h>

namespace hasteward::testing {

// "switchover-after-<step>" for each step of engine/switchover_skeleton.h, in order.
inline auto EverySwitchoverStep() {
  return ::testing::Values(std::string("pre-check"), std::string("fence"),
                           std::string("prove-fence"), std::string("catch-up"),
                           std::string("promote"), std::string("repoint"),
                           std::string("prove-writable"));
}

inline std::string SwitchoverStepTestName(const ::testing::TestParamInfo<std::string>& step) {
  std::string name = step.param;
  for (char& c : name)
    c = c == '-' ? '_' : c;
  return name;
}

// Whether a rerun after a kill following `step` must say it finished the interrupted run (from
// the fence to the promotion) or that the candidate is the primary already (after the repoint).
inline std::string RerunSays(const std::string& step) {
  if (step == "repoint" || step == "prove-writable")
    return "is the primary already";
  return "finishing the interrupted switchover";
}

}  // namespace hasteward::testing
