#include "core/wait_for.h"

#include <chrono>

#include <gtest/gtest.h>

namespace hasteward::core {
namespace {

using std::chrono::milliseconds;

TEST(WaitForTest, ReturnsOnceTheProbeSaysYes) {
  int calls = 0;
  Status st =
      WaitFor("three calls", milliseconds(60000), [&]() -> Result<bool> { return ++calls == 3; },
              {.interval = milliseconds(1)});
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(calls, 3);
}

TEST(WaitForTest, ATimeoutNamesWhatItWaitedForTheLastErrorAndTheHint) {
  Status st = WaitFor(
      "'db-1' to stream", milliseconds(0),
      []() -> Result<bool> { return Status(ErrorCode::kUnreachable, "connection refused"); },
      {.interval = milliseconds(1), .hint = "raise --timeout"});
  EXPECT_EQ(st.code(), ErrorCode::kTimeout);
  EXPECT_NE(st.message().find("'db-1' to stream"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("connection refused"), std::string::npos) << st.message();
  EXPECT_EQ(st.hint(), "raise --timeout");
}

TEST(WaitForTest, AProbeErrorEndsTheWaitWhenAskedTo) {
  int calls = 0;
  Status st = WaitFor("a pod", milliseconds(60000),
                      [&]() -> Result<bool> {
                        ++calls;
                        return Status(ErrorCode::kNotFound, "pod deleted");
                      },
                      {.interval = milliseconds(1), .hint = "", .stop_on_probe_error = true});
  EXPECT_EQ(st.code(), ErrorCode::kNotFound);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace hasteward::core
