#include "core/cron.h"

#include <ctime>

#include <gtest/gtest.h>

namespace hasteward::core {
namespace {

// "YYYY-MM-DD HH:MM" UTC.
TimePoint At(int y, int mo, int d, int h, int mi) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return TimePoint(std::chrono::seconds(timegm(&tm)));
}

TimePoint Next(const std::string& expr, TimePoint from) {
  auto c = CronSchedule::Parse(expr);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? c->Next(from) : TimePoint::max();
}

TEST(CronScheduleTest, EveryMinuteIsTheNextWholeMinute) {
  EXPECT_EQ(Next("* * * * *", At(2026, 3, 1, 10, 5) + std::chrono::seconds(30)),
            At(2026, 3, 1, 10, 6));
  EXPECT_EQ(Next("* * * * *", At(2026, 3, 1, 10, 5)), At(2026, 3, 1, 10, 6));
}

TEST(CronScheduleTest, DailyAtTwoRollsOverToTheNextDay) {
  EXPECT_EQ(Next("0 2 * * *", At(2026, 3, 1, 1, 59)), At(2026, 3, 1, 2, 0));
  EXPECT_EQ(Next("0 2 * * *", At(2026, 3, 1, 2, 0)), At(2026, 3, 2, 2, 0));
}

TEST(CronScheduleTest, StepsAndRanges) {
  EXPECT_EQ(Next("*/15 * * * *", At(2026, 3, 1, 10, 16)), At(2026, 3, 1, 10, 30));
  EXPECT_EQ(Next("10-20/5 * * * *", At(2026, 3, 1, 10, 16)), At(2026, 3, 1, 10, 20));
  EXPECT_EQ(Next("5/20 * * * *", At(2026, 3, 1, 10, 26)), At(2026, 3, 1, 10, 45));
  EXPECT_EQ(Next("0 9-17 * * *", At(2026, 3, 1, 17, 30)), At(2026, 3, 2, 9, 0));
}

TEST(CronScheduleTest, ListsAndNames) {
  EXPECT_EQ(Next("0 0 * jan,jul *", At(2026, 2, 10, 0, 0)), At(2026, 7, 1, 0, 0));
  // 2026-03-01 is a Sunday; the next Monday is the 2nd.
  EXPECT_EQ(Next("30 6 * * mon", At(2026, 3, 1, 12, 0)), At(2026, 3, 2, 6, 30));
  EXPECT_EQ(Next("0 0 * * 7", At(2026, 3, 2, 0, 0)), At(2026, 3, 8, 0, 0));
}

TEST(CronScheduleTest, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
  // The 15th or any Sunday, whichever comes first (Vixie cron).
  EXPECT_EQ(Next("0 0 15 * 0", At(2026, 3, 2, 0, 0)), At(2026, 3, 8, 0, 0));
  EXPECT_EQ(Next("0 0 15 * 0", At(2026, 3, 9, 0, 0)), At(2026, 3, 15, 0, 0));
}

TEST(CronScheduleTest, YearAndLeapDayRollOver) {
  EXPECT_EQ(Next("@yearly", At(2026, 6, 1, 0, 0)), At(2027, 1, 1, 0, 0));
  EXPECT_EQ(Next("0 0 29 2 *", At(2026, 3, 1, 0, 0)), At(2028, 2, 29, 0, 0));
  EXPECT_EQ(Next("0 0 30 2 *", At(2026, 3, 1, 0, 0)), TimePoint::max());
}

TEST(CronScheduleTest, MacrosMatchTheirExpansion) {
  EXPECT_EQ(Next("@hourly", At(2026, 3, 1, 10, 1)), At(2026, 3, 1, 11, 0));
  EXPECT_EQ(Next("@daily", At(2026, 3, 1, 10, 1)), At(2026, 3, 2, 0, 0));
}

TEST(CronScheduleTest, RejectsMalformedExpressions) {
  for (const char* bad :
       {"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *",
        "* * * * 8", "*/0 * * * *", "5-1 * * * *", "a * * * *", "1,,2 * * * *"}) {
    auto c = CronSchedule::Parse(bad);
    EXPECT_FALSE(c.ok()) << "'" << bad << "' parsed";
    if (!c.ok()) {
      EXPECT_EQ(c.status().code(), core::ErrorCode::kUsage);
    }
  }
}

}  // namespace
}  // namespace hasteward::core
