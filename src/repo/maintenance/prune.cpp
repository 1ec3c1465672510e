#include "repo/maintenance/prune.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/failpoint.h"
#include "core/log.h"
#include "core/stop_signal.h"
#include "core/utc_time.h"
#include "repo/cursor/standby_cursor.h"
#include "repo/index/index_choice.h"
#include "repo/lock/repo_lock.h"
#include "repo/maintenance/archive_retention.h"
#include "repo/maintenance/gc_disk_plan.h"
#include "repo/maintenance/gc_mark.h"
#include "repo/maintenance/object_lock_gate.h"
#include "storage/delete_probe.h"

namespace hasteward::repo {

namespace {

std::string Bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
  return buf;
}

std::vector<SnapshotMeta> Metas(const std::vector<Snapshot>& snapshots) {
  std::vector<SnapshotMeta> metas;
  metas.reserve(snapshots.size());
  for (const auto& s : snapshots) {
    metas.push_back({IdToHex(s.id), s.time.Format(), s.hostname, s.paths, s.tags});
  }
  return metas;
}

core::Status DeleteSnapshots(Repository& repo, const std::vector<std::string>& ids,
                             const std::function<core::Status()>& still_locked) {
  for (const auto& id : ids) {
    HS_TRY(still_locked());
    core::Status s = repo.backend().Remove(storage::Handle{storage::FileType::kSnapshot, id});
    if (!s.ok())
      return s.Wrap("remove snapshot '" + id.substr(0, 8) + "'");
    core::Failpoint("prune-after-snapshot-delete");
  }
  return core::Status::Ok();
}

// What prune decided, and what the repository looked like when it did.
struct PrunePlan {
  std::set<std::string> snapshot_files;
  std::set<Id> index_files;
  RetentionPlan retention;
  RetentionPins pins;
  std::string cursors_seen;  // the cursors' JSON when planning: a change means plan again
  std::vector<std::string> remove_ids;
  size_t remaining = 0;
  size_t index_blobs = 0;
  GcPlan gc;
  std::unique_ptr<DiskGc> disk;  // set when the plan was made over the on-disk index
};

// The snapshot files the plan keeps (every file seen minus those it removes).
std::vector<std::string> KeptSnapshots(const PrunePlan& plan) {
  std::set<std::string> removed(plan.remove_ids.begin(), plan.remove_ids.end());
  std::vector<std::string> kept;
  for (const auto& name : plan.snapshot_files) {
    if (removed.count(name) == 0)
      kept.push_back(name);
  }
  return kept;
}

LockOptions PruneLock(const PruneRunOptions& o, bool exclusive) {
  LockOptions lock;
  lock.exclusive = exclusive;
  lock.wait = o.lock_wait;
  return lock;
}

core::Result<std::set<std::string>> FileNames(Repository& repo, storage::FileType type) {
  HS_ASSIGN_OR_RETURN(auto files, repo.ListFiles(type));
  std::set<std::string> names;
  for (const auto& file : files)
    names.insert(file.name);
  return names;
}

int64_t UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The standby cursors judged at the plan's "now" (empty when not honoured).
core::Result<RetentionPins> ReadPins(Repository& repo, const PruneRunOptions& o) {
  if (!o.honour_standby_cursors)
    return RetentionPins{};
  HS_ASSIGN_OR_RETURN(std::vector<CursorRead> reads, LoadStandbyCursors(repo));
  return RetentionPins::Judge(reads, UnixSeconds(o.retention.now));
}

void LogPins(const RetentionPins& pins) {
  for (const JudgedCursor& judged : pins.cursors()) {
    std::map<std::string, std::string> fields = {{"cursor", judged.object_name},
                                                 {"state", CursorStateName(judged.state)},
                                                 {"detail", judged.reason}};
    if (judged.state == CursorState::kUnreadable) {
      core::LogWarn("prune: standby cursor unreadable, keeping every backup", fields);
    } else if (judged.state == CursorState::kExpired) {
      core::LogInfo("prune: standby cursor expired, it pins nothing", fields);
    } else {
      core::LogInfo("prune: standby cursor live", fields);
    }
  }
}

// Garbage collection over the in-memory index, as restic does it: right for small repositories.
core::Status PlanGcInMemory(Repository& repo, std::vector<Snapshot> remaining,
                            const PruneRunOptions& o, int threads, PrunePlan* plan) {
  HS_TRY(repo.LoadIndex());
  plan->index_files.insert(repo.index_files().begin(), repo.index_files().end());
  plan->index_blobs = repo.index().BlobCount();
  HS_ASSIGN_OR_RETURN(BlobSet used, MarkUsedBlobs(repo, remaining, threads));
  remaining.clear();
  HS_ASSIGN_OR_RETURN(auto pack_files, repo.ListFiles(storage::FileType::kPack));
  HS_ASSIGN_OR_RETURN(plan->gc, PlanGc(repo.index(), std::move(used), pack_files, o.gc));
  return core::Status::Ok();
}

// Garbage collection over the on-disk index (gc_disk_plan.h) when the index options choose the
// disk for this repository's index files, as they do for blob lookups (index_choice.h); false
// (nothing planned) when they choose memory, or in auto mode when the cache cannot be used.
core::Result<bool> PlanGcOnDisk(Repository& repo, const std::vector<Snapshot>& remaining,
                                const PruneRunOptions& o, int threads, PrunePlan* plan) {
  HS_ASSIGN_OR_RETURN(auto files, repo.ListFiles(storage::FileType::kIndex));
  if (!WantsDiskIndex(repo.index_options(), files)) {
    return false;
  }
  std::vector<Id> ids;
  ids.reserve(files.size());
  for (const auto& file : files) {
    HS_ASSIGN_OR_RETURN(Id id, IdFromHex(file.name));
    ids.push_back(id);
  }
  auto gc = DiskGc::Open(repo, ids);
  if (!gc.ok() && repo.index_options().mode == IndexMode::kAuto) {
    core::LogWarn("prune: the on-disk blob index is unavailable, loading the index into memory",
                  {{"reason", gc.status().message()}});
    return false;
  }
  HS_TRY(gc.status());
  plan->disk = std::move(*gc);
  plan->index_files.insert(ids.begin(), ids.end());
  plan->index_blobs = plan->disk->BlobCount();
  HS_TRY(repo.LoadBlobIndex());  // the trees' locations, for the walk
  HS_TRY(plan->disk->Mark(repo, remaining, threads));
  HS_ASSIGN_OR_RETURN(auto pack_files, repo.ListFiles(storage::FileType::kPack));
  HS_ASSIGN_OR_RETURN(plan->gc, plan->disk->Plan(pack_files, o.gc));
  return true;
}

// Everything is checked before anything is deleted: a missing or undecodable used blob stops
// prune here with the repository untouched.
core::Result<PrunePlan> PlanPrune(Repository& repo, const PruneRunOptions& o, int threads) {
  PrunePlan plan;
  HS_ASSIGN_OR_RETURN(plan.pins, ReadPins(repo, o));
  plan.cursors_seen = plan.pins.ToJson().dump();
  HS_ASSIGN_OR_RETURN(std::vector<Snapshot> snapshots, repo.ListSnapshots());
  for (const auto& snapshot : snapshots)
    plan.snapshot_files.insert(IdToHex(snapshot.id));
  PruneOptions retention = o.retention;
  retention.pins = &plan.pins;
  HS_ASSIGN_OR_RETURN(plan.retention, PlanRetention(Metas(snapshots), retention));
  plan.remove_ids = plan.retention.RemoveIds();
  std::unordered_set<std::string> removing(plan.remove_ids.begin(), plan.remove_ids.end());
  std::vector<Snapshot> remaining;
  for (auto& snapshot : snapshots) {
    if (removing.count(IdToHex(snapshot.id)) == 0)
      remaining.push_back(std::move(snapshot));
  }
  snapshots.clear();
  plan.remaining = remaining.size();
  HS_ASSIGN_OR_RETURN(bool on_disk, PlanGcOnDisk(repo, remaining, o, threads, &plan));
  if (!on_disk)
    HS_TRY(PlanGcInMemory(repo, std::move(remaining), o, threads, &plan));
  return plan;
}

// Standbys write their cursors without a repository lock (they may hold read-only access to the
// rest), so a cursor that changed since planning is seen here, under the exclusive lock, and the
// plan is made again; one written after this point can name only a backup the plan keeps or one
// being deleted, which the standby's next discovery replaces (docs/standby.md).
core::Result<bool> UnchangedSincePlan(Repository& repo, const PrunePlan& plan,
                                      const PruneRunOptions& o) {
  HS_ASSIGN_OR_RETURN(RetentionPins pins, ReadPins(repo, o));
  if (pins.ToJson().dump() != plan.cursors_seen)
    return false;
  HS_ASSIGN_OR_RETURN(auto snapshots, FileNames(repo, storage::FileType::kSnapshot));
  HS_ASSIGN_OR_RETURN(auto index_names, FileNames(repo, storage::FileType::kIndex));
  std::set<Id> index_files;
  for (const auto& name : index_names) {
    HS_ASSIGN_OR_RETURN(Id id, IdFromHex(name));
    index_files.insert(id);
  }
  return snapshots == plan.snapshot_files && index_files == plan.index_files;
}

core::Status ExecutePrune(Repository& repo, RepoLock& lock, const PrunePlan& plan, int threads,
                          const PruneRunOptions& o, PruneReport* report) {
  std::function<core::Status()> still_locked = [&lock] {
    HS_TRY(core::StopStatus());
    if (!lock.Lost())
      return core::Status::Ok();
    return core::Status(core::ErrorCode::kLocked, "repository lock was lost during prune",
                        "another process removed our lock; run prune again");
  };
  if (o.retention.archive != nullptr) {
    for (const PlanGroup& group : plan.retention.groups) {
      bool removes = std::any_of(group.snapshots.begin(), group.snapshots.end(),
                                 [](const PlannedSnapshot& snapshot) { return !snapshot.keep; });
      // WAL pieces and base backups: the archive index names both (a diverged capture is never
      // a base).
      if ((group.type == SnapshotType::kWal || group.type == SnapshotType::kBackup) && removes) {
        HS_TRY(o.retention.archive->BeforeRemoval(repo, group));
      }
    }
  }
  HS_TRY(DeleteSnapshots(repo, plan.remove_ids, still_locked));
  report->snapshots_removed = plan.remove_ids.size();
  GcExecuteOptions eo;
  eo.threads = threads;
  eo.pack_size = o.gc.pack_size;
  eo.still_locked = still_locked;
  std::unique_ptr<GcSource> source =
      plan.disk ? plan.disk->Source(plan.gc) : MemoryGcSource(repo, plan.gc);
  HS_ASSIGN_OR_RETURN(report->executed, ExecuteGc(repo, plan.gc, *source, eo));
  core::Failpoint("prune-done");
  return core::Status::Ok();
}

}  // namespace

core::Result<PruneReport> RunPrune(Repository& repo, const PruneRunOptions& o) {
  const core::Clock& clock = core::SystemClock::Get();
  auto start = clock.Monotonic();
  HS_TRY(o.retention.policy.Validate());
  int threads = o.threads > 0 ? o.threads : std::max(2, repo.backend().Connections());
  // Why probe first: under append-only credentials (docs/append-only.md) the first refused delete
  // may come after the repack wrote new packs and index files (a run that forgets nothing), which
  // would leave them behind; the probe stops prune before its lock or any other write. A dry run
  // deletes nothing and is useful under such credentials, so it is not probed.
  if (!o.dry_run) {
    HS_TRY(storage::ProbeDeleteRights(
        repo.backend(),
        {storage::FileType::kSnapshot, storage::FileType::kIndex, storage::FileType::kPack},
        "prune"));
  }
  // Why two locks: marking reads every tree of every snapshot and takes long on a big repository;
  // under an exclusive lock it would hold off every scheduled backup (of any cluster sharing the
  // repository) for all that time. So prune plans under a shared lock, beside running backups,
  // and takes the exclusive lock only to delete and repack. What it planned is executed only if
  // no snapshot or index file appeared or vanished meanwhile (a backup that ran beside the plan
  // adds both); otherwise it plans again under the exclusive lock, which is as safe as restic's
  // single exclusive prune.
  PrunePlan plan;
  {
    HS_ASSIGN_OR_RETURN(auto shared, RepoLock::Acquire(repo, PruneLock(o, false)));
    core::Failpoint("prune-after-lock");
    HS_ASSIGN_OR_RETURN(plan, PlanPrune(repo, o, threads));
    HS_TRY(shared->Release());
  }
  PruneReport r;
  r.dry_run = o.dry_run;
  if (!o.dry_run) {
    HS_ASSIGN_OR_RETURN(auto lock, RepoLock::Acquire(repo, PruneLock(o, true)));
    HS_ASSIGN_OR_RETURN(bool unchanged, UnchangedSincePlan(repo, plan, o));
    if (!unchanged) {
      core::LogInfo("prune: the repository changed while planning; planning again");
      HS_ASSIGN_OR_RETURN(plan, PlanPrune(repo, o, threads));
    }
    HS_TRY(RefuseLockedDeletes(repo, plan.remove_ids, plan.gc));
    HS_TRY(ExecutePrune(repo, *lock, plan, threads, o, &r));
    // Under object lock, what the kept backups reference stays locked as long as they are kept.
    HS_ASSIGN_OR_RETURN(r.renewal, ExtendReferencedRetention(repo, KeptSnapshots(plan), plan.gc));
    HS_TRY(lock->Release());
  }
  LogPins(plan.pins);
  r.plan = std::move(plan.retention);
  r.pins = std::move(plan.pins);
  r.snapshots_remaining = plan.remaining;
  r.index_blobs = plan.index_blobs;
  r.index_on_disk = plan.disk != nullptr;
  r.gc = plan.gc.stats;
  r.seconds = core::SecondsSince(clock, start);
  return r;
}

nlohmann::json PruneReport::ToJson() const {
  nlohmann::json j = plan.ToJson();
  j["dry_run"] = dry_run;
  j["snapshots_removed"] = snapshots_removed;
  j["snapshots_remaining"] = snapshots_remaining;
  if (renewal.checked > 0) {
    j["object_lock"] = {{"checked", renewal.checked}, {"extended", renewal.extended}};
    if (renewal.until.has_value())
      j["object_lock"]["retained_until"] = core::Rfc3339Utc(UnixSeconds(*renewal.until));
  }
  j["gc"] = {{"packs", gc.packs},
             {"keep", gc.keep},
             {"remove", gc.remove},
             {"repack", gc.repack},
             {"drop", gc.drop},
             {"unreferenced", gc.unreferenced},
             {"used_blobs", gc.used_blobs},
             {"unused_blobs", gc.unused_blobs},
             {"duplicate_blobs", gc.duplicate_blobs},
             {"used_bytes", gc.used_bytes},
             {"unused_bytes", gc.unused_bytes},
             {"unused_budget", gc.unused_budget},
             {"unused_after", gc.unused_after},
             {"remove_bytes", gc.remove_bytes},
             {"repack_bytes", gc.repack_bytes},
             {"repack_copy_bytes", gc.repack_copy_bytes},
             {"packs_written", executed.packs_written},
             {"bytes_written", executed.bytes_written},
             {"index_files_written", executed.index_files_written},
             {"index_files_removed", executed.index_files_removed},
             {"packs_deleted", executed.packs_deleted},
             {"bytes_deleted", executed.bytes_deleted}};
  j["index"] = index_on_disk ? "disk" : "memory";
  j["standby_cursors"] = pins.ToJson();
  j["seconds"] = seconds;
  return j;
}

std::string PruneReport::ToText() const {
  std::string out = pins.ToText() + plan.ToText();
  const char* would = dry_run ? "would " : "";
  char line[512];
  std::snprintf(line, sizeof(line), "%sremove %zu snapshot(s), %zu remain\n", would,
                dry_run ? plan.RemoveIds().size() : snapshots_removed, snapshots_remaining);
  out += line;
  std::snprintf(line, sizeof(line),
                "packs: %zu indexed: %zu keep, %zu remove, %zu repack, %zu drop (missing); %zu "
                "unreferenced to delete\n",
                gc.packs, gc.keep, gc.remove, gc.repack, gc.drop, gc.unreferenced);
  out += line;
  std::snprintf(line, sizeof(line),
                "used %s in %zu blobs, unused %s in %zu blobs (%zu duplicates); unused after "
                "prune %s (budget %s)\n",
                Bytes(gc.used_bytes).c_str(), gc.used_blobs, Bytes(gc.unused_bytes).c_str(),
                gc.unused_blobs, gc.duplicate_blobs, Bytes(gc.unused_after).c_str(),
                gc.unused_budget == UINT64_MAX ? "unlimited" : Bytes(gc.unused_budget).c_str());
  out += line;
  if (dry_run) {
    std::snprintf(line, sizeof(line), "would delete %s and copy %s out of %s of repacked packs\n",
                  Bytes(gc.remove_bytes).c_str(), Bytes(gc.repack_copy_bytes).c_str(),
                  Bytes(gc.repack_bytes).c_str());
  } else {
    std::snprintf(line, sizeof(line),
                  "wrote %zu pack(s) (%s) and %zu index file(s); deleted %zu pack(s) (%s) and %zu "
                  "old index file(s) in %.1fs\n",
                  executed.packs_written, Bytes(executed.bytes_written).c_str(),
                  executed.index_files_written, executed.packs_deleted,
                  Bytes(executed.bytes_deleted).c_str(), executed.index_files_removed, seconds);
  }
  out += line;
  if (renewal.checked > 0) {
    std::string until =
        renewal.until.has_value() ? " until " + core::Rfc3339Utc(UnixSeconds(*renewal.until)) : "";
    std::snprintf(line, sizeof(line),
                  "object lock: retained %zu of %zu kept file(s) again%s (the others have more "
                  "than half the period left)\n",
                  renewal.extended, renewal.checked, until.c_str());
    out += line;
  }
  return out;
}

}  // namespace hasteward::repo
