// core/cron: five-field cron schedules ("minute hour day-of-month month day-of-week"),
// evaluated in UTC. Fields take *, numbers, ranges a-b, steps */n and a-b/n, comma lists, and
// month/day names (jan..dec, sun..sat); day-of-week 7 is Sunday too. As in Vixie cron, when both
// day-of-month and day-of-week are restricted a day matching either one matches. Macros:
// @yearly @annually @monthly @weekly @daily @midnight @hourly.
#pragma once

#include <bitset>
#include <chrono>
#include <string>

#include "core/status.h"

namespace hasteward::core {

using TimePoint = std::chrono::system_clock::time_point;

class CronSchedule {
 public:
  // kUsage naming the field and the expression when it cannot be parsed.
  static core::Result<CronSchedule> Parse(const std::string& expr);

  // The first whole minute strictly after `t` that matches; TimePoint::max() when none does
  // within five years (e.g. "0 0 30 2 *").
  TimePoint Next(TimePoint t) const;
  const std::string& text() const { return text_; }

 private:
  bool DayMatches(int mday, int wday) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0..6, Sunday = 0
  bool days_star_ = true;
  bool weekdays_star_ = true;
};

}  // namespace hasteward::core
