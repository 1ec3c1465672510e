// repo/maintenance: the steps of garbage-collection planning that both planners share — PlanGc
// over the in-memory index (gc_plan.h) and PlanGcOnDisk over the on-disk one (gc_disk_plan.h) —
// so that both decide every pack alike: which copy of a duplicated blob counts, and what each
// pack's accounting makes of it (keep, remove, repack, drop) under the budget and the repack cap.
#pragma once

#include <cstddef>
#include <vector>

#include "core/status.h"
#include "repo/maintenance/gc_plan.h"

namespace hasteward::repo {

// One indexed pack's used blobs (before deduplication) and blob count.
struct PackFill {
  size_t hits = 0;
  size_t blobs = 0;
};

// The order in which packs claim the used blobs they hold: fully used packs first, then by share
// of used blobs, ties in index order. A blob stored twice counts as used in the first pack of this
// order that holds it (and is intact), so a rerun after an interrupted repack keeps the new packs.
std::vector<size_t> AssignmentOrder(const std::vector<PackFill>& packs);

// Given every pack's accounting (PackDecision without its action) and whether its file exists,
// chooses each action, applies the --max-unused budget and the repack cap, and fills the stats
// (all but duplicate_blobs).
void DecidePacks(GcPlan* plan, const std::vector<bool>& exists, const GcPlanOptions& options);

// kCorruption for `count` used blobs that no intact pack holds, naming one.
core::Status UnclaimedBlobs(size_t count, BlobType type, const Id& example);

}  // namespace hasteward::repo
