#include "repo/maintenance/prune.h"

#include <cstdio>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/failpoint.h"
#include "core/stop_signal.h"
#include "repo/lock/repo_lock.h"
#include "repo/maintenance/gc_mark.h"

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

}  // namespace

core::Result<PruneReport> RunPrune(Repository& repo, const PruneRunOptions& o) {
  auto start = std::chrono::steady_clock::now();
  HS_TRY(o.retention.policy.Validate());
  LockOptions lo;
  lo.exclusive = !o.dry_run;  // a dry run reads only and may run beside a backup
  lo.wait = o.lock_wait;
  HS_ASSIGN_OR_RETURN(auto lock, RepoLock::Acquire(repo, lo));
  core::Failpoint("prune-after-lock");
  // Called between steps that each leave the repository consistent (restic's order: snapshots,
  // then new packs and index, then old index and packs), so a stop there is clean.
  std::function<core::Status()> still_locked = [&lock] {
    HS_TRY(core::StopStatus());
    if (!lock->Lost())
      return core::Status::Ok();
    return core::Status(core::ErrorCode::kLocked, "repository lock was lost during prune",
                        "another process removed our lock; run prune again");
  };
  int threads = o.threads > 0 ? o.threads : std::max(2, repo.backend().Connections());
  PruneReport r;
  r.dry_run = o.dry_run;
  HS_TRY(still_locked());
  HS_ASSIGN_OR_RETURN(std::vector<Snapshot> snapshots, repo.ListSnapshots());
  HS_ASSIGN_OR_RETURN(r.plan, PlanRetention(Metas(snapshots), o.retention));
  std::vector<std::string> remove_ids = r.plan.RemoveIds();
  std::unordered_set<std::string> removing(remove_ids.begin(), remove_ids.end());
  std::vector<Snapshot> remaining;
  for (auto& s : snapshots) {
    if (removing.count(IdToHex(s.id)) == 0)
      remaining.push_back(std::move(s));
  }
  r.snapshots_remaining = remaining.size();
  // Everything is checked before anything is deleted: a missing or undecodable used blob stops
  // prune here with the repository untouched.
  HS_TRY(repo.LoadIndex());
  r.index_blobs = repo.index().BlobCount();
  HS_ASSIGN_OR_RETURN(BlobSet used, MarkUsedBlobs(repo, remaining, threads));
  remaining.clear();
  HS_ASSIGN_OR_RETURN(auto pack_files, repo.ListFiles(storage::FileType::kPack));
  HS_ASSIGN_OR_RETURN(GcPlan gc, PlanGc(repo.index(), std::move(used), pack_files, o.gc));
  r.gc = gc.stats;
  if (!o.dry_run) {
    HS_TRY(DeleteSnapshots(repo, remove_ids, still_locked));
    r.snapshots_removed = remove_ids.size();
    GcExecuteOptions eo;
    eo.threads = threads;
    eo.pack_size = o.gc.pack_size;
    eo.still_locked = still_locked;
    HS_ASSIGN_OR_RETURN(r.executed, ExecuteGc(repo, gc, eo));
    core::Failpoint("prune-done");
  }
  HS_TRY(lock->Release());
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

nlohmann::json PruneReport::ToJson() const {
  nlohmann::json j = plan.ToJson();
  j["dry_run"] = dry_run;
  j["snapshots_removed"] = snapshots_removed;
  j["snapshots_remaining"] = snapshots_remaining;
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
  j["seconds"] = seconds;
  return j;
}

std::string PruneReport::ToText() const {
  std::string out = plan.ToText();
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
  return out + line;
}

}  // namespace hasteward::repo
