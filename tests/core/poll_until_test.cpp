#include "core/poll_until.h"

#include <chrono>

#include <gtest/gtest.h>

#include "core/clock.h"

namespace hasteward::core {
namespace {

TEST(PollUntilTest, ReturnsTrueAsSoonAsTheConditionHolds) {
  int calls = 0;
  EXPECT_TRUE(PollUntil([&calls] { return ++calls == 3; }, std::chrono::seconds(10),
                        std::chrono::milliseconds(1)));
  EXPECT_EQ(calls, 3);
}

TEST(PollUntilTest, ChecksOnceEvenWithAZeroBound) {
  int calls = 0;
  EXPECT_TRUE(PollUntil([&calls] { return ++calls > 0; }, std::chrono::milliseconds(0)));
  EXPECT_EQ(calls, 1);
}

TEST(PollUntilTest, GivesUpAfterTheBound) {
  const Clock& clock = SystemClock::Get();
  auto start = clock.Monotonic();
  EXPECT_FALSE(PollUntil([] { return false; }, std::chrono::milliseconds(100)));
  EXPECT_GE(clock.Monotonic() - start, std::chrono::milliseconds(100));
}

TEST(PollUntilTest, WaitsOnTheGivenClock) {
  ManualClock clock(std::chrono::system_clock::time_point{});
  int calls = 0;
  EXPECT_FALSE(PollUntil([&calls] { return ++calls < 0; }, std::chrono::hours(1),
                         std::chrono::minutes(1), clock));
  EXPECT_EQ(calls, 61) << "one check per interval of the manual clock, and one at the bound";
}

}  // namespace
}  // namespace hasteward::core
