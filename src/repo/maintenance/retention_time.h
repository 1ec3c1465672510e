// repo/maintenance: retention time handling. A snapshot's `time` is stored by restic as Go's
// RFC3339Nano with the writer's UTC offset ("2023-01-03T22:00:00-05:00"). Retention buckets (day,
// ISO week, month, ...) use the wall clock in that stored offset, never the machine's zone
// (restic-format.md §11.3, docs/retention.md), so the parsed value keeps the offset.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace hasteward::repo {

// An instant plus the UTC offset it was written with. Comparisons (Before/After/SameInstant) use
// the instant only; the civil fields (Year()...) are the wall clock in the stored offset.
class SnapshotTime {
 public:
  SnapshotTime() = default;
  // From an instant and an offset (seconds east of UTC). `nanos` in [0, 1e9).
  SnapshotTime(int64_t unix_seconds, int32_t nanos, int32_t offset_seconds);
  static SnapshotTime FromTimePoint(std::chrono::system_clock::time_point tp);

  int64_t unix_seconds() const { return unix_seconds_; }
  int32_t nanos() const { return nanos_; }
  int32_t offset_seconds() const { return offset_seconds_; }

  bool Before(const SnapshotTime& other) const;
  bool After(const SnapshotTime& other) const { return other.Before(*this); }
  bool SameInstant(const SnapshotTime& other) const;

  // Wall clock in the stored offset.
  int Year() const { return year_; }
  int Month() const { return month_; }  // 1..12
  int Day() const { return day_; }      // 1..31
  int Hour() const { return hour_; }
  int Minute() const { return minute_; }
  int Second() const { return second_; }
  // ISO 8601 week: the year that owns the week (may differ from Year() near 1 January) and the
  // week number 1..53 (weeks start on Monday; week 1 holds the year's first Thursday).
  void IsoWeek(int* iso_year, int* iso_week) const;

  // Go's time.AddDate followed by Add(-hours): civil arithmetic in the stored offset with Go's
  // normalisation (31 March minus one month is 3 March).
  SnapshotTime AddDate(int years, int months, int days) const;
  SnapshotTime AddSeconds(int64_t seconds) const;

  // Go's RFC3339Nano output: trailing fractional zeros trimmed, "Z" for offset 0.
  std::string Format() const;

 private:
  void ComputeCivil();

  int64_t unix_seconds_ = 0;
  int32_t nanos_ = 0;
  int32_t offset_seconds_ = 0;
  int year_ = 1970, month_ = 1, day_ = 1, hour_ = 0, minute_ = 0, second_ = 0;
};

// Parses Go's RFC3339 / RFC3339Nano as Go's time.Parse(time.RFC3339, s) accepts it (what
// json.Unmarshal does for a time.Time): "YYYY-MM-DDTHH:MM:SS[.fraction]Z|±hh:mm", fraction 1-9
// digits ('.' or ','), fields range-checked (day against month length). kUsage on any mismatch,
// with the text quoted.
core::Result<SnapshotTime> ParseRfc3339Nano(std::string_view text);

// Days since 1970-01-01 of a proleptic Gregorian date; month/day may be out of range and are
// normalised the way Go's time.Date does (month 13 = January of the next year, day 0 = last
// day of the previous month).
int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day);

}  // namespace hasteward::repo
