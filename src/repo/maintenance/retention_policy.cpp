#include "repo/maintenance/retention_policy.h"

#include <algorithm>
#include <array>
#include <numeric>

#include <nlohmann/json.hpp>

namespace hasteward::repo {
namespace {

// A bucket function maps an item (its time and position in the sorted list) to a value; a rule
// keeps the item when the value differs from the last one it kept (restic's bucket functions).
using Bucketer = int64_t (*)(const SnapshotTime& t, size_t nr);

int64_t BucketAlways(const SnapshotTime& /*t*/, size_t nr) {
  return static_cast<int64_t>(nr);
}
int64_t BucketHour(const SnapshotTime& t, size_t /*nr*/) {
  return int64_t{t.Year()} * 1000000 + int64_t{t.Month()} * 10000 + int64_t{t.Day()} * 100 +
         t.Hour();
}
int64_t BucketDay(const SnapshotTime& t, size_t /*nr*/) {
  return int64_t{t.Year()} * 10000 + int64_t{t.Month()} * 100 + t.Day();
}
int64_t BucketWeek(const SnapshotTime& t, size_t /*nr*/) {
  int year = 0, week = 0;
  t.IsoWeek(&year, &week);
  return int64_t{year} * 100 + week;
}
int64_t BucketMonth(const SnapshotTime& t, size_t /*nr*/) {
  return int64_t{t.Year()} * 100 + t.Month();
}
int64_t BucketYear(const SnapshotTime& t, size_t /*nr*/) {
  return t.Year();
}

struct CountedBucket {
  int count;
  Bucketer bucketer;
  int64_t last;
  const char* reason;
  const char* counter_name;
};

struct WithinBucket {
  KeepWithin within;
  Bucketer bucketer;
  int64_t last;
  const char* reason;
};

// restic's cutoff: latest.AddDate(-y, -m, -d).Add(-h hours); kept when strictly after it.
SnapshotTime WithinCutoff(const SnapshotTime& latest, const KeepWithin& w) {
  return latest.AddDate(-w.years, -w.months, -w.days).AddSeconds(-int64_t{w.hours} * 3600);
}

// Newest item time that is not in the future; the zero time (year 1) when there is none.
SnapshotTime LatestNotInFuture(const std::vector<RetentionItem>& items, const SnapshotTime& now) {
  SnapshotTime latest(-62135596800, 0, 0);  // Go's zero time.Time: 0001-01-01T00:00:00Z
  for (const RetentionItem& item : items) {
    if (item.time.After(latest) && item.time.Before(now))
      latest = item.time;
  }
  return latest;
}

bool HasAllTags(const std::vector<std::string>& have, const std::vector<std::string>& want) {
  return std::all_of(want.begin(), want.end(), [&](const std::string& tag) {
    return std::find(have.begin(), have.end(), tag) != have.end();
  });
}

std::string TagListString(const std::vector<std::string>& tags) {
  std::string out = "[";
  for (size_t i = 0; i < tags.size(); ++i)
    out += (i ? ", " : "") + tags[i];
  return out + "]";
}

void ApplyTagRules(const RetentionItem& item, const RetentionPolicy& policy,
                   RetentionDecision* decision) {
  for (const std::vector<std::string>& list : policy.keep_tags) {
    const bool match = std::any_of(item.member_tags.begin(), item.member_tags.end(),
                                   [&](const auto& tags) { return HasAllTags(tags, list); });
    if (match) {
      decision->keep = true;
      decision->reasons.push_back("has tags " + TagListString(list));
    }
  }
}

}  // namespace

std::string KeepWithin::ToString() const {
  std::string out;
  if (years != 0)
    out += std::to_string(years) + "y";
  if (months != 0)
    out += std::to_string(months) + "m";
  if (days != 0)
    out += std::to_string(days) + "d";
  if (hours != 0)
    out += std::to_string(hours) + "h";
  return out;
}

core::Result<KeepWithin> ParseKeepWithin(std::string_view text) {
  KeepWithin out;
  const std::string quoted = "'" + std::string(text) + "'";
  const char* hint = "write a duration like 1y5m7d2h (years, months, days, hours)";
  size_t pos = 0;
  if (text.empty())
    return core::Usage("empty duration", hint);
  while (pos < text.size()) {
    int64_t num = 0;
    const size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      num = num * 10 + (text[pos++] - '0');
      if (num > 1000000)
        return core::Usage("duration " + quoted + " is too large", hint);
    }
    if (pos == start)
      return core::Usage("duration " + quoted + " needs a number before a unit", hint);
    if (pos == text.size())
      return core::Usage("duration " + quoted + " has no unit after a number", hint);
    const int value = static_cast<int>(num);
    switch (text[pos++]) {  // a repeated unit replaces the earlier value, as in restic
      case 'y': out.years = value; break;
      case 'm': out.months = value; break;
      case 'd': out.days = value; break;
      case 'h': out.hours = value; break;
      default: return core::Usage("duration " + quoted + " has an invalid unit", hint);
    }
  }
  return out;
}

bool RetentionPolicy::IsEmpty() const {
  return keep_last == 0 && keep_hourly == 0 && keep_daily == 0 && keep_weekly == 0 &&
         keep_monthly == 0 && keep_yearly == 0 && keep_tags.empty() && keep_within.IsZero() &&
         keep_within_hourly.IsZero() && keep_within_daily.IsZero() && keep_within_weekly.IsZero() &&
         keep_within_monthly.IsZero() && keep_within_yearly.IsZero();
}

core::Status RetentionPolicy::Validate() const {
  const std::array<std::pair<const char*, int>, 6> counts = {{{"--keep-last", keep_last},
                                                              {"--keep-hourly", keep_hourly},
                                                              {"--keep-daily", keep_daily},
                                                              {"--keep-weekly", keep_weekly},
                                                              {"--keep-monthly", keep_monthly},
                                                              {"--keep-yearly", keep_yearly}}};
  for (const auto& [flag, value] : counts) {
    if (value < 0) {
      return core::Usage(
          std::string("'") + flag + "' must not be negative",
          "use 0 to turn a rule off; there is no 'unlimited' (restic 0.14 semantics)");
    }
  }
  for (const KeepWithin* w : {&keep_within, &keep_within_hourly, &keep_within_daily,
                              &keep_within_weekly, &keep_within_monthly, &keep_within_yearly}) {
    if (w->years < 0 || w->months < 0 || w->days < 0 || w->hours < 0) {
      return core::Usage("a '--keep-within' duration must not be negative");
    }
  }
  for (const auto& list : keep_tags) {
    if (list.empty())
      return core::Usage("'--keep-tag' needs at least one tag");
  }
  return core::Status::Ok();
}

std::vector<std::string> RetentionPolicy::ToResticArgs() const {
  std::vector<std::string> args;
  auto count = [&](const char* flag, int v) {
    if (v != 0)
      args.insert(args.end(), {flag, std::to_string(v)});
  };
  auto within = [&](const char* flag, const KeepWithin& w) {
    if (!w.IsZero())
      args.insert(args.end(), {flag, w.ToString()});
  };
  count("--keep-last", keep_last);
  count("--keep-hourly", keep_hourly);
  count("--keep-daily", keep_daily);
  count("--keep-weekly", keep_weekly);
  count("--keep-monthly", keep_monthly);
  count("--keep-yearly", keep_yearly);
  within("--keep-within", keep_within);
  within("--keep-within-hourly", keep_within_hourly);
  within("--keep-within-daily", keep_within_daily);
  within("--keep-within-weekly", keep_within_weekly);
  within("--keep-within-monthly", keep_within_monthly);
  within("--keep-within-yearly", keep_within_yearly);
  for (const auto& list : keep_tags) {
    std::string joined;
    for (size_t i = 0; i < list.size(); ++i)
      joined += (i ? "," : "") + list[i];
    args.insert(args.end(), {"--keep-tag", joined});
  }
  return args;
}

RetentionResult ApplyRetentionPolicy(const std::vector<RetentionItem>& items,
                                     const RetentionPolicy& policy,
                                     std::chrono::system_clock::time_point now) {
  RetentionResult result;
  result.order.resize(items.size());
  std::iota(result.order.begin(), result.order.end(), size_t{0});
  std::stable_sort(result.order.begin(), result.order.end(),
                   [&](size_t a, size_t b) { return items[a].time.After(items[b].time); });
  result.decisions.resize(items.size());
  if (policy.IsEmpty()) {
    for (RetentionDecision& d : result.decisions)
      d = {true, {"policy is empty"}, {}};
    return result;
  }
  if (items.empty())
    return result;

  std::array<CountedBucket, 6> counted = {{
      {policy.keep_last, BucketAlways, -1, "last snapshot", "last"},
      {policy.keep_hourly, BucketHour, -1, "hourly snapshot", "hourly"},
      {policy.keep_daily, BucketDay, -1, "daily snapshot", "daily"},
      {policy.keep_weekly, BucketWeek, -1, "weekly snapshot", "weekly"},
      {policy.keep_monthly, BucketMonth, -1, "monthly snapshot", "monthly"},
      {policy.keep_yearly, BucketYear, -1, "yearly snapshot", "yearly"},
  }};
  std::array<WithinBucket, 5> within = {{
      {policy.keep_within_hourly, BucketHour, -1, "hourly within"},
      {policy.keep_within_daily, BucketDay, -1, "daily within"},
      {policy.keep_within_weekly, BucketWeek, -1, "weekly within"},
      {policy.keep_within_monthly, BucketMonth, -1, "monthly within"},
      {policy.keep_within_yearly, BucketYear, -1, "yearly within"},
  }};
  const SnapshotTime latest = LatestNotInFuture(items, SnapshotTime::FromTimePoint(now));

  for (size_t nr = 0; nr < result.order.size(); ++nr) {
    const RetentionItem& item = items[result.order[nr]];
    RetentionDecision& decision = result.decisions[result.order[nr]];
    ApplyTagRules(item, policy, &decision);
    if (!policy.keep_within.IsZero() && item.time.After(WithinCutoff(latest, policy.keep_within))) {
      decision.keep = true;
      decision.reasons.push_back("within " + policy.keep_within.ToString());
    }
    for (CountedBucket& b : counted) {
      if (b.count <= 0)
        continue;
      const int64_t value = b.bucketer(item.time, nr);
      if (value != b.last) {
        decision.keep = true;
        b.last = value;
        --b.count;
        decision.reasons.push_back(b.reason);
      }
    }
    for (WithinBucket& b : within) {
      if (b.within.IsZero() || !item.time.After(WithinCutoff(latest, b.within)))
        continue;
      const int64_t value = b.bucketer(item.time, nr);
      if (value != b.last) {
        decision.keep = true;
        b.last = value;
        decision.reasons.push_back(std::string(b.reason) + " " + b.within.ToString());
      }
    }
    if (decision.keep) {
      for (const CountedBucket& b : counted) {
        if (b.count > 0)
          decision.counters[b.counter_name] = b.count;
      }
    }
  }
  return result;
}

core::Result<ResticGroupBy> ParseResticGroupBy(std::string_view text) {
  ResticGroupBy out{false, false, false};
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos)
      comma = text.size();
    const std::string_view field = text.substr(pos, comma - pos);
    if (field == "host") {
      out.host = true;
    } else if (field == "paths") {
      out.paths = true;
    } else if (field == "tags") {
      out.tags = true;
    } else if (!field.empty()) {
      return core::Usage("unknown grouping option '" + std::string(field) + "'",
                         "group by a comma list of host, paths and tags, or '' for one group");
    }
    pos = comma + 1;
  }
  return out;
}

std::string ResticGroupKey(const ResticGroupBy& group_by, const std::string& hostname,
                           std::vector<std::string> paths, std::vector<std::string> tags) {
  nlohmann::json key = nlohmann::json::object();
  std::sort(paths.begin(), paths.end());
  std::sort(tags.begin(), tags.end());
  key["host"] = group_by.host ? hostname : std::string();
  key["paths"] = group_by.paths ? paths : std::vector<std::string>{};
  key["tags"] = group_by.tags ? tags : std::vector<std::string>{};
  return key.dump();
}

}  // namespace hasteward::repo
