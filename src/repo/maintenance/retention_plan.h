// repo/maintenance: HASteward's prune decision (docs/retention.md). Takes the metadata of every
// snapshot in a repository and a policy, and decides per snapshot: keep (and which rule kept it),
// remove, or leave alone (unmanaged / out of scope). Pure: it neither reads nor writes a
// repository; the caller lists snapshots, shows or applies the plan and runs garbage collection.
//
// Groups: one per (engine, cluster, namespace, type) tag values. type=backup: each snapshot is a
// unit. type=diverged: snapshots sharing a `job` tag form one unit (kept or removed together,
// counted once, timed by the newest member). Within a group, restic 0.14 `forget` semantics
// apply to the units (retention_policy.h). type=wal (archive pieces for point-in-time recovery)
// has no policy of its own: its pieces follow the cluster's kept backups, decided by an
// ArchiveRetention (archive_retention.h) after the backups' groups.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "repo/maintenance/retention_policy.h"
#include "repo/snapshot/snapshot_type.h"

namespace hasteward::repo {

class ArchiveRetention;
class RetentionPins;

// What the engine needs to know about one snapshot (as listed; order matters only for ties).
struct SnapshotMeta {
  std::string id;            // full hex ID
  std::string time_rfc3339;  // as stored, with its UTC offset
  std::string hostname;
  std::vector<std::string> paths;
  std::vector<std::string> tags;
};

enum class PruneType { kBackup, kDiverged, kAll };

// "backup" | "diverged" | "all"; kUsage otherwise.
core::Result<PruneType> ParsePruneType(std::string_view text);

struct PruneOptions {
  RetentionPolicy policy;
  PruneType type = PruneType::kBackup;
  // Scope (-e/-c/-n): empty = any value. With all three empty, the whole repository is planned,
  // one group per engine/cluster/namespace/type.
  std::string engine;
  std::string cluster;
  std::string namespace_name;
  // Allows a plan that removes every snapshot of a group (otherwise kSafetyStop).
  bool allow_empty = false;
  // "Now" for the within rules (items in the future never count as the latest).
  std::chrono::system_clock::time_point now;
  // Decides the archive pieces (type=wal) of every cluster whose backups are in scope (-t backup
  // or all). nullptr: archive pieces are unmanaged, never removed.
  const ArchiveRetention* archive = nullptr;
  // What the standbys' live cursors pin (retention_pins.h): a pinned backup is kept whatever the
  // policy says, and so are the archive pieces it replays (the archive retention sees it kept).
  // nullptr: nothing is pinned.
  const RetentionPins* pins = nullptr;
};

struct PlannedSnapshot {
  std::string id;
  std::string time;  // as stored
  std::string job;   // job tag value (diverged), else empty
  bool keep = false;
  std::vector<std::string> reasons;  // restic's words; empty when removed
};

struct PlanGroup {
  std::string engine;
  std::string cluster;
  std::string namespace_name;
  SnapshotType type = SnapshotType::kBackup;  // kBackup, kDiverged or kWal
  std::vector<PlannedSnapshot> snapshots;     // newest unit first; members of a job together
  size_t units = 0;                           // snapshots (backup) or job groups (diverged)
  size_t kept_units = 0;

  // "engine/namespace/cluster/type"
  std::string Key() const;
};

// A snapshot the plan never touches, with why: missing or duplicate HASteward tags, an unknown
// type, a diverged snapshot without a job tag, or an unreadable time.
struct UnmanagedSnapshot {
  std::string id;
  std::string time;
  std::string reason;
};

struct RetentionPlan {
  std::vector<PlanGroup> groups;             // sorted by Key()
  std::vector<UnmanagedSnapshot> unmanaged;  // in listing order
  size_t out_of_scope = 0;                   // managed, but excluded by -t/-e/-c/-n

  std::vector<std::string> KeepIds() const;
  std::vector<std::string> RemoveIds() const;
  // {"groups":[{"engine","cluster","namespace","type","units","kept_units","keep":[ids],
  //   "remove":[ids],"snapshots":[{"id","short_id","time","job"?,"action","reasons"}]}],
  //  "unmanaged":[{"id","short_id","time","reason"}],
  //  "summary":{"keep","remove","unmanaged","out_of_scope"}}
  nlohmann::json ToJson() const;
  // Human-readable plan, one line per snapshot, grouped; for `prune --dry-run`.
  std::string ToText() const;
};

// Builds the plan. Errors: kUsage for an invalid policy; kSafetyStop when a group would lose
// every snapshot and !allow_empty (the message names the group, the hint names --allow-empty).
// An empty policy keeps everything. Never fails on odd snapshots: those become unmanaged.
core::Result<RetentionPlan> PlanRetention(const std::vector<SnapshotMeta>& snapshots,
                                          const PruneOptions& options);

}  // namespace hasteward::repo
