#include "core/wait_until.h"

#include <chrono>

#include <gtest/gtest.h>

namespace hasteward::core {
namespace {

TEST(WaitUntilTest, ReturnsTrueAsSoonAsTheConditionHolds) {
  int calls = 0;
  EXPECT_TRUE(WaitUntil(
      std::chrono::seconds(10), [&calls] { return ++calls == 3; }, std::chrono::milliseconds(1)));
  EXPECT_EQ(calls, 3);
}

TEST(WaitUntilTest, ChecksOnceEvenWithAZeroTimeout) {
  int calls = 0;
  EXPECT_TRUE(WaitUntil(std::chrono::milliseconds(0), [&calls] { return ++calls > 0; }));
  EXPECT_EQ(calls, 1);
}

TEST(WaitUntilTest, GivesUpAfterTheTimeout) {
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(WaitUntil(std::chrono::milliseconds(100), [] { return false; }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
}

}  // namespace
}  // namespace hasteward::core
