#include "repo/maintenance/retention_time.h"

#include <cstdio>

namespace hasteward::repo {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    --q;
  return q;
}

int64_t FloorMod(int64_t a, int64_t b) {
  return a - FloorDiv(a, b) * b;
}

// Inverse of DaysFromCivil for in-range results (Hinnant's algorithm).
void CivilFromDays(int64_t z, int* year, int* month, int* day) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
  *month = static_cast<int>(m);
  *day = static_cast<int>(d);
}

bool IsLeap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// Monday = 1 ... Sunday = 7; day 0 (1970-01-01) was a Thursday.
int IsoWeekday(int64_t days) {
  return static_cast<int>(FloorMod(days + 3, 7)) + 1;
}

// A cursor over the text being parsed.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}
  bool Digits(int count, int* out) {
    int v = 0;
    for (int i = 0; i < count; ++i) {
      if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9')
        return false;
      v = v * 10 + (text_[pos_++] - '0');
    }
    *out = v;
    return true;
  }
  bool Literal(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c)
      return false;
    ++pos_;
    return true;
  }
  bool PeekDigitAt(size_t ahead) const {
    return pos_ + ahead < text_.size() && text_[pos_ + ahead] >= '0' && text_[pos_ + ahead] <= '9';
  }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void Skip() { ++pos_; }
  bool AtEnd() const { return pos_ == text_.size(); }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

core::Status BadTime(std::string_view text, const char* what) {
  return core::Status(core::ErrorCode::kUsage,
                      "time '" + std::string(text) + "' is not RFC3339: " + what,
                      "snapshot times look like 2023-01-02T03:04:05.123+01:00");
}

// Go reads any number of fraction digits and keeps the first nine.
int32_t ParseFraction(Scanner* s) {
  int32_t nanos = 0;
  int digits = 0;
  while (s->PeekDigitAt(0)) {
    if (digits < 9) {
      nanos = nanos * 10 + (s->Peek() - '0');
      ++digits;
    }
    s->Skip();
  }
  for (; digits < 9; ++digits)
    nanos *= 10;
  return nanos;
}

}  // namespace

int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day) {
  year += FloorDiv(month - 1, 12);
  const int64_t m = FloorMod(month - 1, 12) + 1;
  const int64_t y = m <= 2 ? year - 1 : year;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468 + (day - 1);
}

SnapshotTime::SnapshotTime(int64_t unix_seconds, int32_t nanos, int32_t offset_seconds)
    : unix_seconds_(unix_seconds), nanos_(nanos), offset_seconds_(offset_seconds) {
  ComputeCivil();
}

SnapshotTime SnapshotTime::FromTimePoint(std::chrono::system_clock::time_point tp) {
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
  const int64_t secs = FloorDiv(ns, 1000000000);
  return SnapshotTime(secs, static_cast<int32_t>(ns - secs * 1000000000), 0);
}

void SnapshotTime::ComputeCivil() {
  const int64_t local = unix_seconds_ + offset_seconds_;
  const int64_t days = FloorDiv(local, kSecondsPerDay);
  const int64_t sod = local - days * kSecondsPerDay;
  CivilFromDays(days, &year_, &month_, &day_);
  hour_ = static_cast<int>(sod / 3600);
  minute_ = static_cast<int>(sod / 60 % 60);
  second_ = static_cast<int>(sod % 60);
}

bool SnapshotTime::Before(const SnapshotTime& other) const {
  if (unix_seconds_ != other.unix_seconds_)
    return unix_seconds_ < other.unix_seconds_;
  return nanos_ < other.nanos_;
}

bool SnapshotTime::SameInstant(const SnapshotTime& other) const {
  return unix_seconds_ == other.unix_seconds_ && nanos_ == other.nanos_;
}

void SnapshotTime::IsoWeek(int* iso_year, int* iso_week) const {
  const int64_t days = DaysFromCivil(year_, month_, day_);
  // The Thursday of this week decides the ISO year; its ordinal day decides the week.
  const int64_t thursday = days + (4 - IsoWeekday(days));
  int y = 0, m = 0, d = 0;
  CivilFromDays(thursday, &y, &m, &d);
  *iso_year = y;
  *iso_week = static_cast<int>((thursday - DaysFromCivil(y, 1, 1)) / 7 + 1);
}

SnapshotTime SnapshotTime::AddDate(int years, int months, int days) const {
  const int64_t day_number =
      DaysFromCivil(int64_t{year_} + years, int64_t{month_} + months, int64_t{day_} + days);
  const int64_t local =
      day_number * kSecondsPerDay + int64_t{hour_} * 3600 + int64_t{minute_} * 60 + second_;
  return SnapshotTime(local - offset_seconds_, nanos_, offset_seconds_);
}

SnapshotTime SnapshotTime::AddSeconds(int64_t seconds) const {
  return SnapshotTime(unix_seconds_ + seconds, nanos_, offset_seconds_);
}

std::string SnapshotTime::Format() const {
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d", year_, month_, day_,
                        hour_, minute_, second_);
  std::string out(buf, static_cast<size_t>(n));
  if (nanos_ != 0) {
    std::snprintf(buf, sizeof(buf), ".%09d", nanos_);
    std::string frac(buf);
    while (frac.back() == '0')
      frac.pop_back();
    out += frac;
  }
  if (offset_seconds_ == 0)
    return out + "Z";
  const int32_t abs_off = offset_seconds_ < 0 ? -offset_seconds_ : offset_seconds_;
  n = std::snprintf(buf, sizeof(buf), "%c%02d:%02d", offset_seconds_ < 0 ? '-' : '+',
                    abs_off / 3600, abs_off / 60 % 60);
  return out + std::string(buf, static_cast<size_t>(n));
}

core::Result<SnapshotTime> ParseRfc3339Nano(std::string_view text) {
  Scanner s(text);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!s.Digits(4, &year) || !s.Literal('-') || !s.Digits(2, &month) || !s.Literal('-') ||
      !s.Digits(2, &day) || !s.Literal('T') || !s.Digits(2, &hour) || !s.Literal(':') ||
      !s.Digits(2, &minute) || !s.Literal(':') || !s.Digits(2, &second)) {
    return BadTime(text, "expected YYYY-MM-DDTHH:MM:SS");
  }
  if (month < 1 || month > 12)
    return BadTime(text, "month out of range");
  if (day < 1 || day > DaysInMonth(year, month))
    return BadTime(text, "day out of range");
  if (hour > 23 || minute > 59 || second > 59)
    return BadTime(text, "clock field out of range");
  int32_t nanos = 0;
  if ((s.Peek() == '.' || s.Peek() == ',') && s.PeekDigitAt(1)) {
    s.Skip();
    nanos = ParseFraction(&s);
  }
  int32_t offset = 0;
  if (!s.Literal('Z')) {
    const char sign = s.Peek();
    int oh = 0, om = 0;
    if (sign != '+' && sign != '-')
      return BadTime(text, "expected 'Z' or a ±hh:mm offset");
    s.Skip();
    if (!s.Digits(2, &oh) || !s.Literal(':') || !s.Digits(2, &om) || oh > 23 || om > 59) {
      return BadTime(text, "bad UTC offset");
    }
    offset = (oh * 60 + om) * 60 * (sign == '-' ? -1 : 1);
  }
  if (!s.AtEnd())
    return BadTime(text, "extra text after the offset");
  const int64_t local = DaysFromCivil(year, month, day) * kSecondsPerDay + int64_t{hour} * 3600 +
                        int64_t{minute} * 60 + second;
  return SnapshotTime(local - offset, nanos, offset);
}

}  // namespace hasteward::repo
