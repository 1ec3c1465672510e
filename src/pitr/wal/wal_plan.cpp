#include "pitr/wal/wal_plan.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <limits>

#include "catalog/base_backup_record.h"
#include "catalog/positions.h"
#include "jobs/jobs.h"
#include "jobs/native_backup.h"

namespace hasteward::pitr {

namespace {

std::string Describe(const PointTarget& target, const engine::Archiving& archiving) {
  switch (target.kind) {
    case engine::RecoveryTargetKind::kTime: return RecoveryTimeText(target.time);
    case engine::RecoveryTargetKind::kPosition:
      return "position " + archiving.FormatPosition(target.position);
    case engine::RecoveryTargetKind::kEndOfArchive: break;
  }
  return "the end of its archive";
}

// When the base became consistent, at the latest, in the source's clock: the modification time of
// the archived segment holding its stop position (the server wrote the stop record into it, and
// pg_backup_stop switches segments right after, so the file was last written at or after the
// stop; wal-push keeps the server's mtime). nullopt when that segment is not archived: no replay
// of the base could pass it anyway. The snapshot's time is when the backup job started, on the
// backing-up host's clock: a base started before a time target may be consistent only after it,
// and PostgreSQL then refuses to stop there, after the data directory was replaced (finding 3).
std::optional<repo::GoTime> ConsistentBy(const catalog::BaseBackup& base,
                                         const catalog::WalCatalog& catalog,
                                         const engine::Archiving& archiving) {
  if (base.stop == 0) {
    return std::nullopt;
  }
  // A stop exactly on a segment boundary is the end of the segment before.
  const uint64_t segment = (base.stop - 1) / archiving.SegmentBytes();
  const catalog::ArchivedFile* archived =
      catalog.Find(archiving.SegmentFileName(base.timeline, segment));
  if (archived == nullptr) {
    return std::nullopt;
  }
  return archived->node.mtime;
}

bool Precedes(const catalog::BaseBackup& base, const PointTarget& target,
              const catalog::WalCatalog& catalog, const engine::Archiving& archiving) {
  switch (target.kind) {
    case engine::RecoveryTargetKind::kTime: {
      std::optional<repo::GoTime> consistent = ConsistentBy(base, catalog, archiving);
      return consistent && *consistent < target.time;
    }
    case engine::RecoveryTargetKind::kPosition: return base.stop <= target.position;
    case engine::RecoveryTargetKind::kEndOfArchive: break;
  }
  return true;  // every base does: the newest is the one to replay from
}

std::string Missing(const BaseWindow& window, const engine::Archiving& archiving) {
  if (!window.reach.gap) {
    return "the archive ends before '" +
           archiving.SegmentFileName(window.next_timeline, window.next_segment) + "'";
  }
  return "'" + archiving.SegmentFileName(window.gap_timeline, window.reach.gap->first) + "' to '" +
         archiving.SegmentFileName(window.gap_timeline, window.reach.gap->last) + "' are missing";
}

// A segment on the window's path: the index of its range and its number.
struct PathPoint {
  size_t range = 0;
  uint64_t segment = 0;
};

// The newest archived segment along the path (a DR activation's "end of the archive"): replay
// must reach it, so a missing file before it is never taken for the end of the source's history.
std::optional<PathPoint> NewestSegment(const BaseWindow& window,
                                       const catalog::WalCatalog& catalog) {
  for (size_t i = window.segments.size(); i-- > 0;) {
    const catalog::SegmentRange& range = window.segments[i];
    const catalog::SegmentRuns& runs = catalog.Runs(range.timeline);
    auto after_last = range.last ? runs.upper_bound(*range.last) : runs.end();
    if (after_last == runs.begin()) {
      continue;
    }
    const catalog::SegmentRun& run = std::prev(after_last)->second;
    const uint64_t newest = range.last ? std::min(run.last, *range.last) : run.last;
    if (newest >= range.first) {
      return PathPoint{i, newest};
    }
  }
  return std::nullopt;
}

// The segment of the path a target needs last; nullopt when the archive holds none that reaches a
// time target (or, to the end of the archive, none on the path at all).
std::optional<PathPoint> NeededSegment(const BaseWindow& window, const catalog::WalCatalog& catalog,
                                       const engine::Archiving& archiving,
                                       const PointTarget& target) {
  if (target.kind == engine::RecoveryTargetKind::kEndOfArchive) {
    return NewestSegment(window, catalog);
  }
  for (size_t i = 0; i < window.segments.size(); ++i) {
    const catalog::SegmentRange& range = window.segments[i];
    if (target.kind == engine::RecoveryTargetKind::kPosition) {
      uint64_t segment = target.position / archiving.SegmentBytes();
      if (!range.last || segment <= *range.last) {
        return PathPoint{i, std::max(segment, range.first)};
      }
      continue;
    }
    auto found =
        catalog::SegmentReachingTime(TimesOf(catalog, range.timeline), range.first, target.time);
    if (found && (!range.last || *found <= *range.last)) {
      return PathPoint{i, *found};
    }
  }
  return std::nullopt;
}

// A time target in an older path timeline's copy of the first segment the window lacks, when
// that segment holds the older timeline's switch: a restore killed after its server promoted (its
// history file archived, no segment of its new timeline yet), or any promotion whose new timeline
// has not filled a segment. PostgreSQL, not finding the newer copy, reads the newest older one,
// which holds the same records up to the switch; a replay that stops before the switch never
// applies what the older timeline wrote after it. Whether it stops there the proof reads from
// that copy (PointPlan::stop_before_switch).
struct SwitchPoint {
  uint32_t timeline = 0;
  uint64_t segment = 0;
  uint64_t switch_position = 0;
};

std::optional<SwitchPoint> TargetBeforeASwitch(const BaseWindow& window,
                                               const catalog::WalCatalog& catalog,
                                               const engine::Archiving& archiving,
                                               const PointTarget& target) {
  if (target.kind != engine::RecoveryTargetKind::kTime) {
    return std::nullopt;
  }
  const uint64_t lacking = window.next_segment;
  const auto& ranges = window.path.ranges;
  auto lacking_on = std::find_if(
      ranges.begin(), ranges.end(),
      [&](const catalog::TimelineRange& r) { return r.timeline == window.next_timeline; });
  for (auto older = std::make_reverse_iterator(lacking_on); older != ranges.rend(); ++older) {
    if (catalog.Find(archiving.SegmentFileName(older->timeline, lacking)) == nullptr) {
      continue;
    }
    // The newest older copy is the one the server reads; its switch must lie in it.
    if (!older->to || *older->to / archiving.SegmentBytes() != lacking) {
      return std::nullopt;
    }
    auto found =
        catalog::SegmentReachingTime(TimesOf(catalog, older->timeline), lacking, target.time);
    if (!found || *found != lacking) {
      return std::nullopt;
    }
    return SwitchPoint{older->timeline, lacking, *older->to};
  }
  return std::nullopt;
}

bool Reaches(const BaseWindow& window, const PathPoint& needed) {
  return window.reach.starts &&
         (needed.range < window.last_range ||
          (needed.range == window.last_range && needed.segment <= window.reach.last));
}

// The segments the receiver streamed right after the window's last whole one (or from the base's
// own first segment), on the same timeline: the window reaches through them. nullopt when there
// are none (or the window has a gap: replay would stop there anyway).
std::optional<PathPoint> ExtendByStreamedTail(
    BaseWindow& window, const std::set<std::pair<uint32_t, uint64_t>>& streamed) {
  if (window.reach.gap) {
    return std::nullopt;
  }
  std::optional<PathPoint> tail;
  for (size_t i = window.reach.starts ? window.last_range : 0; i < window.segments.size(); ++i) {
    const catalog::SegmentRange& range = window.segments[i];
    if (range.timeline != window.next_timeline || window.next_segment < range.first ||
        (range.last && window.next_segment > *range.last)) {
      continue;
    }
    while (streamed.count({window.next_timeline, window.next_segment}) != 0 &&
           (!range.last || window.next_segment <= *range.last)) {
      window.reach.starts = true;
      window.reach.last = window.next_segment;
      window.last_range = i;
      window.last_timeline = range.timeline;
      tail = PathPoint{i, window.next_segment};
      ++window.next_segment;
    }
    break;
  }
  return tail;
}

PointPlan BeforeSwitchPlan(const catalog::BaseBackup& base, const SwitchPoint& before,
                           const PointTarget& target) {
  PointPlan plan;
  plan.base = base;
  // Up to the switching timeline: the replay never needs the next one, whose copy is missing.
  plan.timeline = before.timeline;
  plan.last_timeline = before.timeline;
  plan.last_segment = before.segment;
  plan.reach_last = before.segment;
  plan.stop_before_switch = before.switch_position;
  plan.target = RecoveryTimeText(target.time);
  return plan;
}

// The timeline whose history a target names. A position names a point of several histories once
// a restore started a new one at a position the old one had passed: it means the newest, which
// every restore and promotion takes anew (what the server's recovery_target_timeline = 'latest'
// follows), as does the end of the archive. A time names the history that was live then: the
// newest timeline whose history file the server wrote at or before it (wal-push keeps the
// server's mtime); before any, the first. A time after a restore's promotion thus follows the
// history it started, a time before it the history that was live then, even one it abandoned.
// 0: no timeline is singled out.
uint32_t TargetTimeline(const PointTarget& target, const catalog::WalCatalog& catalog,
                        const engine::Archiving& archiving) {
  uint32_t chosen = 0;
  std::optional<repo::GoTime> started;
  for (const auto& [timeline, branches] : catalog.histories()) {
    const catalog::ArchivedFile* history = catalog.Find(archiving.HistoryFileName(timeline));
    if (target.kind != engine::RecoveryTargetKind::kTime) {
      chosen = std::max(chosen, timeline);
    } else if (history != nullptr && !(target.time < history->node.mtime) &&
               (!started || *started < history->node.mtime)) {
      chosen = timeline;
      started = history->node.mtime;
    }
  }
  if (target.kind != engine::RecoveryTargetKind::kTime) {
    for (uint32_t timeline : catalog.SegmentTimelines()) {
      chosen = std::max(chosen, timeline);
    }
  }
  return chosen;
}

// Whether `base` lies on the history of `timeline`: on it, or on an ancestor that the history left
// at or after the base's consistency point. A base of an abandoned history (a timeline the
// target's history left before the base's stop, or never passed) cannot reach the target however
// its positions compare. A timeline without an archived history file is not judged here: the
// window refuses it by name (TimelinePath::unknown_history).
bool OnHistoryOf(const catalog::BaseBackup& base, uint32_t timeline,
                 const catalog::TimelineHistories& histories) {
  if (timeline <= 1 || base.timeline == timeline) {
    return true;  // timeline 1 (or none singled out): every base may be on it, by position
  }
  auto history = histories.find(timeline);
  if (history == histories.end()) {
    return true;
  }
  // The base's end lies on the target timeline's history: the one comparator decides
  // (engine/wal_history.h via catalog/positions.h), the target taken as that timeline's end.
  const catalog::PositionOrder order = catalog::CompareWalPositions(
      {base.timeline, base.stop}, {}, {timeline, std::numeric_limits<uint64_t>::max()},
      history->second);
  return order == catalog::PositionOrder::kBefore || order == catalog::PositionOrder::kSame;
}

}  // namespace

catalog::SegmentTimes TimesOf(const catalog::WalCatalog& catalog, uint32_t timeline) {
  catalog::SegmentTimes times;
  for (const auto& [segment, archived] : catalog.Segments(timeline)) {
    times.emplace(segment, archived->node.mtime);
  }
  return times;
}

BaseWindow WindowOf(const catalog::BaseBackup& base, const catalog::WalCatalog& catalog,
                    const engine::Archiving& archiving) {
  BaseWindow window;
  window.base = base;
  window.path = catalog::ChooseTimelinePath(base.timeline, base.stop, catalog.histories(),
                                            catalog.SegmentTimelines());
  window.segments = catalog::PathSegments(window.path, archiving.SegmentBytes());
  window.first_timeline = window.segments.front().timeline;
  window.first_segment = window.segments.front().first;
  for (size_t i = 0; i < window.segments.size(); ++i) {
    const catalog::SegmentRange& range = window.segments[i];
    catalog::ChainReach run = catalog::FollowRuns(catalog.Runs(range.timeline), range.first);
    window.reach.gap = run.gap;
    window.gap_timeline = range.timeline;
    window.next_timeline = range.timeline;
    window.next_segment = range.first;
    if (!run.starts) {
      break;
    }
    window.reach.starts = true;
    window.last_range = i;
    window.last_timeline = range.timeline;
    // A timeline's segments after its switch are not replayed (the child's are): the run
    // continues on the next range once this one is complete.
    window.reach.last = range.last ? std::min(run.last, *range.last) : run.last;
    // The summary keeps times at the runs' ends; a window that ends inside a run ends at a
    // timeline switch, whose segments' buckets WalCatalog::LoadSummary reads.
    window.end_time =
        catalog.SegmentTime(range.timeline, window.reach.last).value_or(repo::GoTime{});
    window.next_segment = window.reach.last + 1;
    if (!range.last || run.last < *range.last) {
      break;
    }
    window.reach.gap.reset();
  }
  if (window.reach.starts) {
    window.end_position = (window.reach.last + 1) * archiving.SegmentBytes();
  }
  return window;
}

core::Result<PointPlan> PlanPoint(const std::vector<catalog::BaseBackup>& bases,
                                  const catalog::WalCatalog& catalog,
                                  const engine::Archiving& archiving, const PointTarget& target,
                                  const platform::Cluster& cluster,
                                  const std::set<std::pair<uint32_t, uint64_t>>& streamed) {
  const catalog::BaseBackup* chosen = nullptr;
  const uint32_t history = TargetTimeline(target, catalog, archiving);
  for (const auto& base : bases) {
    if (Precedes(base, target, catalog, archiving) &&
        OnHistoryOf(base, history, catalog.histories())) {
      chosen = &base;  // oldest first: the last match is the newest
    }
  }
  std::string what = "'" + cluster.ns + "/" + cluster.name + "' to " + Describe(target, archiving);
  if (chosen == nullptr) {
    return core::NotFound("no native base backup precedes the restore of " + what,
                          "'hasteward pitr status' lists the base backups and their windows");
  }
  BaseWindow window = WindowOf(*chosen, catalog, archiving);
  std::string base_id = repo::IdToHex(chosen->snapshot.id).substr(0, 8);
  if (window.path.unknown_history) {
    return core::Status(
        core::ErrorCode::kSafetyStop,
        "cannot tell which timeline the restore of " + what + " follows: segments of timeline " +
            std::to_string(*window.path.unknown_history) + " are archived but '" +
            archiving.HistoryFileName(*window.path.unknown_history) + "' is not",
        "nothing was changed; archive that history file from the server's pg_wal (wal-push), "
        "or remove the timeline's segments if it is not part of this cluster's history");
  }
  std::optional<PathPoint> needed = NeededSegment(window, catalog, archiving, target);
  if (target.kind == engine::RecoveryTargetKind::kEndOfArchive) {
    if (std::optional<PathPoint> tail = ExtendByStreamedTail(window, streamed)) {
      needed = tail;
    }
  }
  if (!needed || !Reaches(window, *needed)) {
    if (auto before = TargetBeforeASwitch(window, catalog, archiving, target)) {
      return BeforeSwitchPlan(*chosen, *before, target);
    }
    return core::Status(core::ErrorCode::kSafetyStop,
                        "the archived WAL cannot replay base backup " + base_id + " to " + what +
                            ": " + Missing(window, archiving),
                        "nothing was changed; restore to a point inside the window that "
                        "'hasteward pitr status' shows, or restore the base backup alone");
  }
  PointPlan plan;
  plan.base = *chosen;
  plan.timeline = window.path.target();
  plan.last_timeline = window.segments[needed->range].timeline;
  plan.last_segment = needed->segment;
  plan.reach_last = needed->range < window.last_range
                        ? window.segments[needed->range].last.value_or(needed->segment)
                        : window.reach.last;
  switch (target.kind) {
    case engine::RecoveryTargetKind::kTime: plan.target = RecoveryTimeText(target.time); break;
    case engine::RecoveryTargetKind::kPosition:
      plan.target = archiving.FormatPosition(target.position);
      break;
    case engine::RecoveryTargetKind::kEndOfArchive:
      plan.target = archiving.FormatPosition(needed->segment * archiving.SegmentBytes());
      break;
  }
  return plan;
}

std::string RecoveryTimeText(const repo::GoTime& time) {
  repo::GoTime utc = time;
  utc.offset_seconds = 0;
  repo::GoTime::Civil civil = utc.ToCivil();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", civil.year, civil.month,
                civil.day, civil.hour, civil.minute, civil.second, time.nanos / 1000);
  return buf;
}

}  // namespace hasteward::pitr
