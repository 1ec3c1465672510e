#include "pitr/pitr_restore.h"

#include <cstdio>
#include <set>

#include "core/log.h"
#include "jobs/native_backup.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::pitr {

namespace {

// Where the archive ends, in a base backup's fact keys (timeline, stop_lsn, system_identifier):
// the end of the newest whole segment of the newest timeline. An instance holding WAL up to
// there loses nothing a later restore could not bring back from the archive.
std::map<std::string, std::string> ArchiveEnd(const WalCatalog& catalog,
                                              const engine::Archiving& archiving,
                                              const repo::Snapshot& base) {
  std::map<std::string, std::string> facts = jobs::SnapshotFacts(base);
  std::set<uint32_t> timelines = catalog.SegmentTimelines();
  if (timelines.empty())
    return facts;  // no archive: the base's own end
  uint32_t timeline = *timelines.rbegin();
  auto segments = catalog.Segments(timeline);
  uint64_t end = (segments.rbegin()->first + 1) * archiving.SegmentBytes();
  char lsn[32];
  std::snprintf(lsn, sizeof(lsn), "%X/%X", static_cast<unsigned>(end >> 32),
                static_cast<unsigned>(end & 0xffffffffU));
  facts["timeline"] = std::to_string(timeline);
  facts["stop_lsn"] = lsn;
  return facts;
}

}  // namespace

core::Result<PointRestoreResult> RestoreToPoint(const engine::ClusterHandle& target,
                                                repo::Repository& repo,
                                                const PointRestoreOptions& options) {
  const platform::Cluster& cluster = options.source ? *options.source : target.cluster();
  engine::Archiving* archiving = target.engine().archiving();
  if (archiving == nullptr) {
    return engine::Unsupported(target.engine(), "point-in-time recovery");
  }
  HS_ASSIGN_OR_RETURN(auto lock, repo::RepoLock::Acquire(repo, repo::LockOptions{}));
  HS_TRY(repo.LoadIndex());
  HS_ASSIGN_OR_RETURN(auto bases, ListBaseBackups(repo, cluster, *archiving));
  HS_ASSIGN_OR_RETURN(WalCatalog catalog, WalCatalog::Load(repo, cluster, *archiving));
  HS_TRY(catalog.LoadHistories(repo, *archiving));
  PointRestoreResult result;
  HS_ASSIGN_OR_RETURN(result.plan, PlanPoint(bases, catalog, *archiving, options.target, cluster));
  core::LogInfo(
      "point-in-time restore from base " +
          repo::IdToHex(result.plan.base.snapshot.id).substr(0, 8) + " to " + result.plan.target,
      {{"timeline", std::to_string(result.plan.timeline)},
       {"last_segment",
        archiving->SegmentFileName(result.plan.last_timeline, result.plan.last_segment)}});
  engine::NativeRestoreOptions native;
  native.confirm_overwrite = options.confirm_overwrite;
  native.force = options.force;
  native.heal = options.heal;
  native.confirm_rewind = options.confirm_rewind;
  native.reaches = ArchiveEnd(catalog, *archiving, result.plan.base.snapshot);
  native.recovery = engine::RecoveryRequest{
      .restore_command = options.restore_command,
      .kind = options.target.kind,
      .target = result.plan.target,
      .timeline = result.plan.timeline,
      .last_file = archiving->SegmentFileName(result.plan.last_timeline, result.plan.last_segment)};
  HS_ASSIGN_OR_RETURN(jobs::NativeRestoreResult restored,
                      jobs::RestoreNativeSnapshot(target, repo, result.plan.base.snapshot, native));
  result.bytes = restored.bytes;
  HS_TRY(lock->Release());
  return result;
}

}  // namespace hasteward::pitr
