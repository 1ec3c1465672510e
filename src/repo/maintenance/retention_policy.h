// repo/maintenance: restic 0.14 `forget` policy semantics, exactly (restic-format.md §11.3,
// docs/retention.md). Pure functions over metadata: nothing here reads or writes a repository.
// RetentionPlan (retention_plan.h) builds HASteward's prune on top of this.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "repo/maintenance/retention_time.h"

namespace hasteward::repo {

// restic's `--keep-within` duration "1y5m7d2h": calendar years/months/days (Go AddDate) plus
// hours. All zero = not set.
struct KeepWithin {
  int years = 0;
  int months = 0;
  int days = 0;
  int hours = 0;

  bool IsZero() const { return years == 0 && months == 0 && days == 0 && hours == 0; }
  // restic's spelling: non-zero parts in y m d h order ("1y2m", "36h"); "0h" when zero.
  std::string ToString() const;
};

// Parses "1y5m7d2h" (any subset, each part a decimal number followed by y, m, d or h; a repeated
// unit adds up, as restic does). kUsage on anything else.
core::Result<KeepWithin> ParseKeepWithin(std::string_view text);

// One retention policy. Counts are "keep the newest item of each of the N most recent buckets"
// (0 = rule off). keep_tags: keep an item carrying all tags of one of the lists.
struct RetentionPolicy {
  int keep_last = 0;
  int keep_hourly = 0;
  int keep_daily = 0;
  int keep_weekly = 0;
  int keep_monthly = 0;
  int keep_yearly = 0;
  std::vector<std::vector<std::string>> keep_tags;
  KeepWithin keep_within;
  KeepWithin keep_within_hourly;
  KeepWithin keep_within_daily;
  KeepWithin keep_within_weekly;
  KeepWithin keep_within_monthly;
  KeepWithin keep_within_yearly;

  // True when no rule is set: such a policy keeps everything ("policy is empty"), like 0.14.
  bool IsEmpty() const;
  // kUsage for a negative count (restic 0.14 has no "unlimited"; a negative count there silently
  // removes everything) or an empty tag list.
  core::Status Validate() const;
  // The restic command-line flags for this policy ("--keep-daily", "7", ...), for logs and tests.
  std::vector<std::string> ToResticArgs() const;
};

// One unit of retention: a snapshot, or a job group of diverged snapshots (then `time` is the
// newest member's time and `member_tags` holds every member's tags).
struct RetentionItem {
  SnapshotTime time;
  std::vector<std::vector<std::string>> member_tags;
};

struct RetentionDecision {
  bool keep = false;
  // Why it is kept, in restic's words: "last snapshot", "daily snapshot", "within 2d",
  // "has tags [a, b]", "daily within 1y", "policy is empty". Empty when removed.
  std::vector<std::string> reasons;
  // Bucket counters still open after this item (restic's "counters": only non-zero ones, keys
  // last/hourly/daily/weekly/monthly/yearly). Recorded for kept items only, as restic does.
  std::map<std::string, int> counters;
};

struct RetentionResult {
  std::vector<size_t> order;                 // indices into the input, newest first (stable)
  std::vector<RetentionDecision> decisions;  // parallel to the input
};

// Applies `policy` to one group, exactly as restic 0.14's ApplyPolicy: stable sort newest first
// (equal instants keep input order), then every rule looks at each item in that order. `now`
// bounds the "latest" time used by the within rules (items in the future are ignored there).
// The policy must be valid (Validate()).
RetentionResult ApplyRetentionPolicy(const std::vector<RetentionItem>& items,
                                     const RetentionPolicy& policy,
                                     std::chrono::system_clock::time_point now);

// restic's `--group-by` key fields.
struct ResticGroupBy {
  bool host = true;
  bool paths = true;
  bool tags = false;
};

// Parses restic's --group-by value: comma list of host, paths, tags; "" = no grouping.
core::Result<ResticGroupBy> ParseResticGroupBy(std::string_view text);

// restic's group key: hostname (if grouped by host), sorted paths (if by paths), sorted tags (if
// by tags); equality of the whole key. Rendered as a stable string for maps.
std::string ResticGroupKey(const ResticGroupBy& group_by, const std::string& hostname,
                           std::vector<std::string> paths, std::vector<std::string> tags);

}  // namespace hasteward::repo
