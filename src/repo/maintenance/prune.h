// repo/maintenance: `prune` end to end (docs/prune.md): take the exclusive lock (waiting up to
// lock_wait for live locks, clearing stale ones), list snapshots, plan retention
// (retention_plan.h), delete the forgotten snapshot files, then collect garbage: mark the blobs
// the remaining snapshots use, plan (gc_plan.h) and execute (gc_execute.h). A dry run takes a
// shared lock, plans both steps and changes nothing.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "repo/maintenance/gc_execute.h"
#include "repo/maintenance/gc_plan.h"
#include "repo/maintenance/object_lock_gate.h"
#include "repo/maintenance/retention_pins.h"
#include "repo/maintenance/retention_plan.h"
#include "repo/repository.h"

namespace hasteward::repo {

struct PruneRunOptions {
  PruneOptions retention;  // policy, type, scope, allow_empty, now
  GcPlanOptions gc;        // --max-unused, pack size
  bool dry_run = false;
  std::chrono::milliseconds lock_wait{0};
  int threads = 0;  // 0 = backend connections
  // Reads the standbys' cursors (hasteward/standby-cursors/) and keeps what live ones pin
  // (retention_pins.h). Off only for tests of the policy alone.
  bool honour_standby_cursors = true;
};

struct PruneReport {
  bool dry_run = false;
  RetentionPlan plan;
  RetentionPins pins;            // the standby cursors as judged when planning
  size_t snapshots_removed = 0;  // files deleted (0 in a dry run)
  size_t snapshots_remaining = 0;
  GcStats gc;  // what garbage collection found (and did, unless a dry run)
  GcResult executed;
  size_t index_blobs = 0;
  bool index_on_disk = false;  // planned over the on-disk index (gc_disk_plan.h)
  // Under object lock: the kept files retained again (object_lock_gate.h); empty otherwise.
  RetentionRenewal renewal;
  double seconds = 0;

  // The plan's JSON (retention_plan.h) plus "dry_run", "snapshots_removed", "gc", "index"
  // ("memory" | "disk"), "index_blobs", "standby_cursors" (retention_pins.h) and, under object
  // lock, "object_lock" {"checked", "extended", "retained_until"}.
  nlohmann::json ToJson() const;
  // The plan's text plus a summary of the garbage collection.
  std::string ToText() const;
};

// Standby cursors are read before each planning; a cursor listing that fails stops prune (nothing
// is deleted), an expired cursor is logged and pins nothing, an unreadable one is logged as a
// warning and keeps every backup.
// Errors: kLocked (a live lock remained for lock_wait), kSafetyStop (the plan would empty a group
// without allow_empty; nothing is deleted), kCorruption (a used blob is missing or damaged;
// nothing is deleted), kUsage (invalid policy), storage errors. The repository is consistent
// after any error or crash (stale lock aside).
core::Result<PruneReport> RunPrune(Repository& repo, const PruneRunOptions& options);

}  // namespace hasteward::repo
