// pitr/wal/wal_plan: the native base backups of a cluster, the window each one can be replayed
// through with the archived WAL, and the choice of base (and the refusal) for a restore to a
// point. Read-only.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "catalog/wal/timeline_path.h"
#include "catalog/wal/wal_bases.h"
#include "catalog/wal/wal_catalog.h"
#include "catalog/wal/wal_chain.h"
#include "core/status.h"
#include "engine/archiving.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::pitr {

// The archived segments of `timeline` and their files' last write times (a catalog from
// WalCatalog::Load: every segment).
catalog::SegmentTimes TimesOf(const catalog::WalCatalog& catalog, uint32_t timeline);

// How far a base can be replayed: from the segment holding its consistency point along the
// unbroken run of archived segments of its timeline path (timeline_path.h), across timeline
// switches.
struct BaseWindow {
  catalog::BaseBackup base;
  catalog::TimelinePath path;                   // the timelines replay follows, the base's first
  std::vector<catalog::SegmentRange> segments;  // PathSegments(path)
  uint32_t first_timeline = 0;                  // the first segment replay reads
  uint64_t first_segment = 0;
  catalog::ChainReach reach;  // reach.last is a segment of last_timeline, reach.gap of gap_timeline
  uint32_t last_timeline = 0;  // (when reach.starts)
  size_t last_range = 0;       // index into segments of reach.last
  uint32_t gap_timeline = 0;   // (when reach.gap)
  uint32_t next_timeline = 0;  // the first segment the run lacks (the archive ends before it)
  uint64_t next_segment = 0;
  repo::GoTime end_time;      // last write of the run's last segment (when reach.starts)
  uint64_t end_position = 0;  // the end of that segment
};

// The window of `base` over the catalog's runs of segments and histories (WalCatalog::
// LoadHistories); a catalog from WalCatalog::LoadSummary is enough.
BaseWindow WindowOf(const catalog::BaseBackup& base, const catalog::WalCatalog& catalog,
                    const engine::Archiving& archiving);

struct PointTarget {
  // kTime: `time`; kPosition: `position`; kEndOfArchive (neither): replay every archived segment
  // along the newest base's timeline path (a DR activation's "last archived position"), planned
  // like a position target at the start of the newest archived segment, so a gap before it refuses,
  // and the server promotes when the next file is missing.
  engine::RecoveryTargetKind kind = engine::RecoveryTargetKind::kTime;
  repo::GoTime time;
  uint64_t position = 0;
};

struct PointPlan {
  catalog::BaseBackup base;
  uint32_t timeline = 0;  // the timeline replay follows to the target (recovery_target_timeline)
  uint32_t last_timeline = 0;  // the last archived segment the replay needs, and its timeline
  uint64_t last_segment = 0;
  // The newest archived segment replay could reach on last_timeline: past it the path leaves that
  // timeline (its switch) or the archive has a gap. A time target's proof reads no further.
  uint64_t reach_last = 0;
  // Set when the time target lies in last_timeline's copy of the segment holding its switch to the
  // next timeline of the path, whose own copy is not archived: replay follows last_timeline only,
  // and the proof counts only a transaction it reaches before this switch position.
  std::optional<uint64_t> stop_before_switch;
  std::string target;  // in the engine's syntax
};

// The newest base before the target whose window reaches it, along its timeline path. kNotFound
// when no base is older than the target; kSafetyStop naming the missing segments (or where the
// archive ends, or a newer timeline's missing history file) when the newest such base cannot be
// replayed to the target. The catalog's histories must be loaded, and it must be complete
// (WalCatalog::Load): a time target reads every segment's time. Nothing is touched either way.
// `streamed`: the (timeline, segment) pairs the synchronous receiver holds pieces of
// (catalog/wal/wal_stream_store.h); a replay to the end of the archive continues through those
// that follow its last whole segment (wal-fetch serves them from the pieces), so a DR activation
// right after a base whose end segment is not whole yet still reaches the last acknowledged
// commit.
core::Result<PointPlan> PlanPoint(const std::vector<catalog::BaseBackup>& bases,
                                  const catalog::WalCatalog& catalog,
                                  const engine::Archiving& archiving, const PointTarget& target,
                                  const platform::Cluster& cluster,
                                  const std::set<std::pair<uint32_t, uint64_t>>& streamed = {});

// "2026-11-22 16:40:01.123456+00" (UTC, microseconds), PostgreSQL's timestamptz input.
std::string RecoveryTimeText(const repo::GoTime& time);

}  // namespace hasteward::pitr
