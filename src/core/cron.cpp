#include "core/cron.h"

#include <ctime>
#include <map>
#include <sstream>
#include <vector>

namespace hasteward::core {

namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;
  std::map<std::string, int> names;
};

// NOLINTNEXTLINE(cert-err58-cpp): only std::bad_alloc can escape, and out-of-memory is fatal
const FieldSpec kFields[5] = {
    {"minute", 0, 59, {}},
    {"hour", 0, 23, {}},
    {"day of month", 1, 31, {}},
    {"month",
     1,
     12,
     {{"jan", 1},
      {"feb", 2},
      {"mar", 3},
      {"apr", 4},
      {"may", 5},
      {"jun", 6},
      {"jul", 7},
      {"aug", 8},
      {"sep", 9},
      {"oct", 10},
      {"nov", 11},
      {"dec", 12}}},
    {"day of week",
     0,
     7,
     {{"sun", 0}, {"mon", 1}, {"tue", 2}, {"wed", 3}, {"thu", 4}, {"fri", 5}, {"sat", 6}}},
};

// NOLINTNEXTLINE(cert-err58-cpp): only std::bad_alloc can escape, and out-of-memory is fatal
const std::map<std::string, std::string> kMacros = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"}};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep))
    out.push_back(cur);
  return out;
}

bool ParseNumber(const std::string& s, const FieldSpec& f, int* out) {
  std::string lower;
  for (char c : s)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto named = f.names.find(lower);
  if (named != f.names.end()) {
    *out = named->second;
    return true;
  }
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 4) {
    return false;
  }
  *out = std::stoi(s);
  return *out >= f.min && *out <= f.max;
}

// Sets bits [lo, hi] step `step` of one comma-separated part.
bool ParsePart(const std::string& part, const FieldSpec& f, std::vector<bool>& bits) {
  std::string range = part;
  int step = 1;
  auto slash = part.find('/');
  if (slash != std::string::npos) {
    range = part.substr(0, slash);
    std::string st = part.substr(slash + 1);
    if (st.empty() || st.find_first_not_of("0123456789") != std::string::npos || st.size() > 3) {
      return false;
    }
    step = std::stoi(st);
    if (step <= 0)
      return false;
  }
  int lo = f.min;
  int hi = f.max == 7 ? 6 : f.max;
  if (range != "*") {
    auto dash = range.find('-');
    if (!ParseNumber(range.substr(0, dash), f, &lo))
      return false;
    hi = lo;
    if (dash != std::string::npos) {
      if (!ParseNumber(range.substr(dash + 1), f, &hi) || hi < lo)
        return false;
    } else if (slash != std::string::npos) {
      hi = f.max == 7 ? 6 : f.max;  // "5/15" means 5-max/15
    }
  }
  for (int v = lo; v <= hi; v += step)
    bits[static_cast<size_t>(v == 7 && f.max == 7 ? 0 : v)] = true;
  return true;
}

template <size_t N>
bool ParseField(const std::string& text, const FieldSpec& f, std::bitset<N>& out) {
  std::vector<bool> bits(N + 1, false);
  for (const auto& part : Split(text, ',')) {
    if (!ParsePart(part, f, bits))
      return false;
  }
  for (size_t i = 0; i < N; ++i)
    out[i] = bits[i];
  return out.any();
}

}  // namespace

core::Result<CronSchedule> CronSchedule::Parse(const std::string& expr_in) {
  std::string expr = expr_in;
  auto macro = kMacros.find(expr);
  if (macro != kMacros.end())
    expr = macro->second;
  std::istringstream in(expr);
  std::vector<std::string> fields;
  for (std::string f; in >> f;)
    fields.push_back(f);
  if (fields.size() != 5) {
    return core::Usage(
        "cron schedule '" + expr_in + "' has " + std::to_string(fields.size()) + " fields, not 5",
        "write \"minute hour day-of-month month day-of-week\", e.g. \"0 2 * * *\"");
  }
  CronSchedule c;
  c.text_ = expr_in;
  bool ok = ParseField(fields[0], kFields[0], c.minutes_) &&
            ParseField(fields[1], kFields[1], c.hours_) &&
            ParseField(fields[2], kFields[2], c.days_) &&
            ParseField(fields[3], kFields[3], c.months_) &&
            ParseField(fields[4], kFields[4], c.weekdays_);
  if (!ok) {
    return core::Usage("cron schedule '" + expr_in + "' is not valid",
                       "each field takes *, N, A-B, */N, A-B/N or a comma list, in range");
  }
  c.days_star_ = fields[2] == "*" || fields[2].rfind("*/", 0) == 0;
  c.weekdays_star_ = fields[4] == "*" || fields[4].rfind("*/", 0) == 0;
  return c;
}

bool CronSchedule::DayMatches(int mday, int wday) const {
  bool dom = days_[static_cast<size_t>(mday)];
  bool dow = weekdays_[static_cast<size_t>(wday)];
  if (days_star_ && weekdays_star_)
    return true;
  if (days_star_)
    return dow;
  if (weekdays_star_)
    return dom;
  return dom || dow;
}

TimePoint CronSchedule::Next(TimePoint t) const {
  using std::chrono::seconds;
  int64_t secs = std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
  int64_t cur = (secs >= 0 ? secs / 60 : (secs - 59) / 60) * 60 + 60;  // next whole minute
  const int64_t limit = cur + int64_t{5} * 366 * 24 * 3600;
  while (cur <= limit) {
    time_t tt = static_cast<time_t>(cur);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    if (!months_[static_cast<size_t>(tm.tm_mon) + 1]) {
      tm.tm_mon += 1;
      tm.tm_mday = 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
      cur = timegm(&tm);
    } else if (!DayMatches(tm.tm_mday, tm.tm_wday)) {
      cur += int64_t{24 - tm.tm_hour} * 3600 - int64_t{tm.tm_min} * 60;
    } else if (!hours_[static_cast<size_t>(tm.tm_hour)]) {
      cur += int64_t{60 - tm.tm_min} * 60;
    } else if (!minutes_[static_cast<size_t>(tm.tm_min)]) {
      cur += 60;
    } else {
      return TimePoint(seconds(cur));
    }
  }
  return TimePoint::max();
}

}  // namespace hasteward::core
