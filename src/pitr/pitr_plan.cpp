#include "pitr/pitr_plan.h"

#include <algorithm>
#include <cstdio>

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

bool Precedes(const BaseBackup& base, const PointTarget& target) {
  switch (target.kind) {
    case engine::RecoveryTargetKind::kTime: return base.snapshot.time < target.time;
    case engine::RecoveryTargetKind::kPosition: return base.stop <= target.position;
    case engine::RecoveryTargetKind::kEndOfArchive: break;
  }
  return true;  // every base does: the newest is the one to replay from
}

// The segment replay must reach: the one holding the target, or the archive's newest on the
// base's timeline (a missing next file there is "unknown end", never proof the source finished).
std::optional<uint64_t> NeededSegment(const PointTarget& target, const SegmentTimes& segments,
                                      const BaseWindow& window,
                                      const engine::Archiving& archiving) {
  switch (target.kind) {
    case engine::RecoveryTargetKind::kPosition: return target.position / archiving.SegmentBytes();
    case engine::RecoveryTargetKind::kTime:
      return SegmentReachingTime(segments, window.first_segment, target.time);
    case engine::RecoveryTargetKind::kEndOfArchive: break;
  }
  if (segments.empty()) {
    return std::nullopt;
  }
  return std::max(segments.rbegin()->first, window.first_segment);
}

std::string Missing(const BaseWindow& window, const engine::Archiving& archiving) {
  uint32_t timeline = window.base.timeline;
  if (!window.reach.gap) {
    uint64_t next = window.reach.starts ? window.reach.last + 1 : window.first_segment;
    return "the archive ends before '" + archiving.SegmentFileName(timeline, next) + "'";
  }
  return "'" + archiving.SegmentFileName(timeline, window.reach.gap->first) + "' to '" +
         archiving.SegmentFileName(timeline, window.reach.gap->last) + "' are missing";
}

}  // namespace

core::Result<std::vector<BaseBackup>> ListBaseBackups(repo::Repository& repo,
                                                      const platform::Cluster& cluster,
                                                      const engine::Archiving& archiving) {
  HS_ASSIGN_OR_RETURN(auto snapshots,
                      jobs::ClusterSnapshots(repo, cluster, repo::SnapshotType::kBackup));
  std::vector<BaseBackup> bases;
  for (auto& snapshot : snapshots) {
    if (!jobs::IsNativeSnapshot(snapshot)) {
      continue;
    }
    auto start = archiving.ParsePosition(snapshot.TagValue("start_lsn"));
    auto stop = archiving.ParsePosition(snapshot.TagValue("stop_lsn"));
    std::string timeline = snapshot.TagValue("timeline");
    if (!start.ok() || !stop.ok() || timeline.empty() || timeline.size() > 9 ||
        timeline.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    bases.push_back(BaseBackup{std::move(snapshot), static_cast<uint32_t>(std::stoul(timeline)),
                               *start, *stop});
  }
  return bases;
}

SegmentTimes TimesOf(const WalCatalog& catalog, uint32_t timeline) {
  SegmentTimes times;
  for (const auto& [segment, archived] : catalog.Segments(timeline)) {
    times.emplace(segment, archived->node.mtime);
  }
  return times;
}

BaseWindow WindowOf(const BaseBackup& base, const SegmentTimes& segments,
                    const engine::Archiving& archiving) {
  BaseWindow window;
  window.base = base;
  window.first_segment = base.stop / archiving.SegmentBytes();
  window.reach = FollowChain(segments, window.first_segment);
  if (window.reach.starts) {
    window.end_time = segments.at(window.reach.last);
    window.end_position = (window.reach.last + 1) * archiving.SegmentBytes();
  }
  return window;
}

core::Result<PointPlan> PlanPoint(const std::vector<BaseBackup>& bases, const WalCatalog& catalog,
                                  const engine::Archiving& archiving, const PointTarget& target,
                                  const platform::Cluster& cluster) {
  const BaseBackup* chosen = nullptr;
  for (const auto& base : bases) {
    if (Precedes(base, target)) {
      chosen = &base;  // oldest first: the last match is the newest
    }
  }
  std::string what = "'" + cluster.ns + "/" + cluster.name + "' to " + Describe(target, archiving);
  if (chosen == nullptr) {
    return core::NotFound("no native base backup precedes the restore of " + what,
                          "'hasteward pitr status' lists the base backups and their windows");
  }
  SegmentTimes segments = TimesOf(catalog, chosen->timeline);
  BaseWindow window = WindowOf(*chosen, segments, archiving);
  std::optional<uint64_t> needed = NeededSegment(target, segments, window, archiving);
  std::string base_id = repo::IdToHex(chosen->snapshot.id).substr(0, 8);
  if (!window.reach.starts || !needed || window.reach.last < *needed) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "the archived WAL cannot replay base backup " + base_id + " to " + what +
                            ": " + Missing(window, archiving),
                        "nothing was changed; restore to a point inside the window that "
                        "'hasteward pitr status' shows, or restore the base backup alone");
  }
  PointPlan plan;
  plan.base = *chosen;
  plan.last_segment = *needed;
  switch (target.kind) {
    case engine::RecoveryTargetKind::kTime: plan.target = RecoveryTimeText(target.time); break;
    case engine::RecoveryTargetKind::kPosition:
      plan.target = archiving.FormatPosition(target.position);
      break;
    case engine::RecoveryTargetKind::kEndOfArchive:
      plan.target = archiving.FormatPosition(*needed * archiving.SegmentBytes());
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
