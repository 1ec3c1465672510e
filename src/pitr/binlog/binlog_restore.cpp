#include "pitr/binlog/binlog_restore.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "catalog/base_backup_record.h"
#include "catalog/binlog/binlog_stream_store.h"
#include "core/atomic_file.h"
#include "core/clock.h"
#include "core/failpoint.h"
#include "core/log.h"
#include "core/temp_dir.h"
#include "engine/binlog_archiving.h"
#include "engine/native_restore_steps.h"
#include "jobs/jobs.h"
#include "jobs/native_backup.h"
#include "pitr/base_restore.h"
#include "pitr/binlog/binlog_archive.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::pitr {

namespace {

uint64_t NowNanos() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   core::SystemClock::Get().Now().time_since_epoch())
                                   .count());
}

// When the rewind happened, in the archive's order rather than this host's clock alone: after
// every piece and rewind archived before it and every native base of the cluster (`snapshots`),
// each of which another host may have stamped ahead of this one's clock (the base's backup host,
// the archiver). What it abandons is judged by comparing with this, so a skewed clock never makes
// an abandoned piece or base look newer than the restore.
uint64_t RewindStampNs(const std::vector<repo::Snapshot>& snapshots,
                       const catalog::BinlogCatalog& catalog) {
  uint64_t at_ns = catalog.NextStampNs(NowNanos());
  for (const auto& snapshot : snapshots) {
    if (catalog::IsNativeBackup(snapshot) && snapshot.time.unix_seconds >= 0) {
      // BaseAbandoned compares whole seconds.
      at_ns = std::max(at_ns, (static_cast<uint64_t>(snapshot.time.unix_seconds) + 1) * 1000000000);
    }
  }
  return at_ns;
}

// The base a rewind names: the restored snapshot, its time and its GTID position.
catalog::BinlogRestoredBase RestoredBaseOf(const repo::Snapshot& snapshot) {
  return {repo::IdToHex(snapshot.id), snapshot.time.unix_seconds,
          catalog::GtidTagValue(snapshot.tags, "gtid_position").value_or("")};
}

// Records that the cluster went back to `final_state` (a rewind) from `base`, stamped in the
// archive's order; a time target's rewind also says the source was at that state at the target.
core::Status RecordRestoreRewind(repo::Repository& repo, const platform::Cluster& cluster,
                                 const catalog::BinlogCatalog& catalog,
                                 const catalog::BinlogTarget& target,
                                 const std::string& final_state, const repo::Snapshot& base) {
  HS_ASSIGN_OR_RETURN(auto snapshots,
                      jobs::ClusterSnapshots(repo, cluster, repo::SnapshotType::kBackup));
  std::optional<int64_t> reached_at;
  if (target.kind == catalog::BinlogTargetKind::kTime) {
    reached_at = target.time_unix;
  }
  return RecordBinlogRewind(
             repo, cluster,
             {RewindStampNs(snapshots, catalog), final_state, reached_at, RestoredBaseOf(base)})
      .Wrap("record the restore in the binlog archive");
}

// The GTID domain of one element of a GTID state ("0-1-42" -> "0").
std::string DomainOf(const std::string& gtid) {
  return gtid.substr(0, gtid.find('-'));
}

// Whether the base at `base_state` holds nothing committed after a time target, judged in the
// source's clock: by the commit times of its own transactions in the archive, never by the
// snapshot's time, which the host that ran the backup stamped (a skewed host would move the base
// across the target). A base whose last transaction of an archived domain is not in the archive
// (it was never archived, or pruned) has no known time and is no base for a time target.
bool BaseEndsBefore(const std::vector<catalog::LoadedBinlogFile>& files,
                    const engine::BinlogArchiving& binlogs, const std::string& base_state,
                    int64_t target_time) {
  std::vector<std::string> included;
  std::set<std::string> archived_domains;
  for (const catalog::LoadedBinlogFile& file : files) {
    for (const auto& span : file.spans) {
      archived_domains.insert(DomainOf(span.gtid));
      if (!binlogs.StateIncludes(base_state, span.gtid)) {
        continue;
      }
      if (static_cast<int64_t>(span.time) > target_time) {
        return false;
      }
      included.push_back(span.gtid);
    }
  }
  const std::string archived_base = binlogs.MergeGtidStates(included);
  for (size_t start = 0; start < base_state.size();) {
    size_t end = std::min(base_state.find(',', start), base_state.size());
    std::string last = base_state.substr(start, end - start);
    start = end + 1;
    if (archived_domains.count(DomainOf(last)) != 0 &&
        !binlogs.StateIncludes(archived_base, last)) {
      return false;
    }
  }
  return true;
}

std::string DescribeTarget(const catalog::BinlogTarget& target) {
  switch (target.kind) {
    case catalog::BinlogTargetKind::kTime:
      return repo::LocalTimeFromUnix(target.time_unix, 0).Format();
    case catalog::BinlogTargetKind::kGtid: return "GTID " + target.gtid;
    case catalog::BinlogTargetKind::kEndOfArchive: return "the end of its archive";
    case catalog::BinlogTargetKind::kWholeArchive: break;
  }
  return "the whole archive";
}

core::Status PastTheArchive(const catalog::BinlogChainWalk& walk,
                            const catalog::BinlogTarget& target) {
  std::string last = walk.last_gtid.empty()
                         ? "the base's position"
                         : "GTID " + walk.last_gtid + ", committed " +
                               repo::LocalTimeFromUnix(walk.last_time, 0).Format();
  return core::Status(core::ErrorCode::kSafetyStop,
                      DescribeTarget(target) + " is past the archive's last transaction (" + last +
                          " in the source's clock); nothing was changed",
                      "a time target must lie before a transaction the archive holds: run "
                      "'hasteward archive binlog' once the source committed again, or restore to "
                      "the archive's end with --until-gtid " +
                          (walk.state.empty() ? std::string("GTID") : walk.state));
}

// Whether a recorded rewind proves the source was at `state` at a time at or after `time_unix`:
// then nothing after `state` was committed by then, and the target is reached there. A restore
// killed after recording its rewind is finished by its rerun this way: the transaction after the
// target that its plan stopped at is the abandoned future now, and no longer counts.
bool RewindVouches(const catalog::BinlogCatalog& catalog, const engine::BinlogArchiving& binlogs,
                   const std::string& state, int64_t time_unix) {
  return std::any_of(catalog.rewinds().begin(), catalog.rewinds().end(),
                     [&](const catalog::BinlogRewind& rewind) {
                       return rewind.reached_at_unix && *rewind.reached_at_unix >= time_unix &&
                              binlogs.StateIncludes(rewind.state, state) &&
                              binlogs.StateIncludes(state, rewind.state);
                     });
}

core::Result<BinlogReplayPlan> PlanReplay(repo::Repository& repo, const platform::Cluster& cluster,
                                          const std::vector<catalog::LoadedBinlogFile>& files,
                                          const catalog::BinlogCatalog& catalog,
                                          const engine::BinlogArchiving& binlogs,
                                          const catalog::BinlogTarget& target) {
  HS_ASSIGN_OR_RETURN(auto snapshots,
                      jobs::ClusterSnapshots(repo, cluster, repo::SnapshotType::kBackup));
  std::string refusal;
  bool any_base = false;
  for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) {  // newest first
    const repo::Snapshot& snapshot = *it;
    if (!catalog::IsNativeBackup(snapshot)) {
      continue;
    }
    const std::string base_state =
        catalog::GtidTagValue(snapshot.tags, "gtid_position").value_or("");
    const bool to_time = target.kind == catalog::BinlogTargetKind::kTime;
    if (to_time && !BaseEndsBefore(files, binlogs, base_state, target.time_unix)) {
      continue;
    }
    if (target.kind == catalog::BinlogTargetKind::kGtid &&
        !binlogs.StateIncludes(target.gtid, base_state)) {
      continue;
    }
    // A backup of a future a restore abandoned is no base for the history that followed.
    if (catalog::BaseAbandoned(catalog, binlogs, snapshot, base_state)) {
      continue;
    }
    any_base = true;
    catalog::BinlogChainWalk walk = catalog::WalkBinlogChain(files, binlogs, base_state, target);
    // A time target is reached only at an archived transaction committed after it (the walk stops
    // there): both times are the source's. Past the last archived transaction nothing says the
    // source committed nothing more before the target; when the archive was last current is the
    // archiving host's clock, which says nothing about the source's.
    if (!walk.reached && to_time && catalog::TookEveryTransaction(files, binlogs, walk.state)) {
      if (!RewindVouches(catalog, binlogs, walk.state, target.time_unix)) {
        return PastTheArchive(walk, target);
      }
      walk.reached = true;
    }
    if (target.kind == catalog::BinlogTargetKind::kEndOfArchive &&
        catalog::TookEveryTransaction(files, binlogs, walk.state)) {
      walk.reached = true;
    }
    if (walk.reached) {
      BinlogReplayPlan plan;
      plan.base = snapshot;
      plan.base_state = base_state;
      plan.final_state = walk.state;
      plan.transactions = walk.transactions;
      plan.files = std::move(walk.files);
      return plan;
    }
    if (refusal.empty()) {
      refusal = "the archived binlogs continue base " + repo::IdToHex(snapshot.id).substr(0, 8) +
                " (GTID " + (base_state.empty() ? "none" : base_state) + ") only to GTID " +
                (walk.state.empty() ? "none" : walk.state) + ", not to " + DescribeTarget(target);
    }
  }
  if (!any_base) {
    return core::NotFound("no native base backup of '" + cluster.ns + "/" + cluster.name +
                              "' is before " + DescribeTarget(target) +
                              " (by its transactions' commit times in the archive, the source's "
                              "clock)",
                          "take one with 'hasteward backup --method native'; 'hasteward get "
                          "backups' lists the backups");
  }
  return core::Status(core::ErrorCode::kSafetyStop, refusal + "; nothing was changed",
                      "a piece of the archive is missing or the archiver has not caught up: run "
                      "'hasteward archive binlog' and retry, or choose an earlier target");
}

// The replay input for one file: its header, then the chosen transactions.
core::Status WriteReplayFile(const catalog::LoadedBinlogFile& file,
                             const BinlogReplayPlan::FileReplay& replay, const std::string& path) {
  std::string bytes = file.bytes.substr(0, file.header.header_end);
  for (size_t index : replay.spans) {
    const auto& span = file.spans[index];
    bytes.append(file.bytes, span.start, span.end - span.start);
  }
  core::AtomicFileOptions private_file;
  private_file.mode = 0600;  // the cluster's data
  return core::WriteFileAtomically(path, core::AsBytes(bytes), private_file);
}

// The other instances, rebuilt from the replayed primary (after the replay: see
// NativeRestoreOptions::rebuild_later).
core::Status RebuildFrom(const engine::ClusterHandle& target, const platform::Instance& primary,
                         const std::vector<platform::Instance>& replicas,
                         const engine::HealOptions& heal) {
  for (const auto& replica : replicas) {
    HS_ASSIGN_OR_RETURN(bool running, target.platform().IsRunning(target.cluster(), replica));
    if (!running) {
      HS_TRY(target.platform()
                 .StartInstance(target.cluster(), replica)
                 .Wrap("start '" + replica.name + "'"));
    }
    // Running is not answering: a replica its operator brought back with the hand-back (a
    // StatefulSet scaled up again) may still be starting its server.
    engine::HealOptions starting = heal;
    starting.target_starting = true;
    HS_TRY(target.engine()
               .HealInstance(target.platform(), target.cluster(), replica, primary, starting)
               .Wrap("rebuild '" + replica.name + "' from the restored '" + primary.name + "'"));
    core::Failpoint("binlog-restore-rebuilt");
  }
  return core::Status::Ok();
}

// Applies the replay files on `primary` (the engine picks the applier) and records which applier
// ran and how long the replay took.
core::Status Replay(const engine::ClusterHandle& target, engine::BinlogArchiving& binlogs,
                    const platform::Instance& primary, const std::vector<std::string>& replay_paths,
                    BinlogRestoreResult& result) {
  const core::Clock& clock = core::SystemClock::Get();
  auto started = clock.Monotonic();
  auto replayed = binlogs.ReplayBinlogs(target.platform(), target.cluster(), primary,
                                        {replay_paths, result.plan.final_state});
  if (!replayed.ok()) {
    return replayed.TakeStatus().Wrap("replay the archived binlogs on '" + primary.name + "'");
  }
  result.replay = *replayed;
  result.replay_seconds = std::chrono::duration<double>(clock.Monotonic() - started).count();
  core::LogInfo("replayed the archived binlogs on '" + primary.name + "'",
                {{"applier", engine::BinlogApplierName(result.replay.applier)},
                 {"threads", std::to_string(result.replay.threads)},
                 {"seconds", std::to_string(result.replay_seconds)}});
  return core::Status::Ok();
}

// The replayed primary is exactly at `final_state`. It is the target's instance: connected with
// the target's credentials, not the source's (a DR site need not hold the source's secret files).
core::Status CheckFinalPosition(const engine::ClusterHandle& target,
                                engine::BinlogArchiving& binlogs, const platform::Instance& primary,
                                const std::string& final_state) {
  HS_ASSIGN_OR_RETURN(auto handle, target.platform().OpenInstance(target.cluster(), primary));
  HS_ASSIGN_OR_RETURN(std::string position, binlogs.BinlogPosition(*handle));
  if (!binlogs.StateIncludes(position, final_state) ||
      !binlogs.StateIncludes(final_state, position)) {
    return core::Status(core::ErrorCode::kVerifyFailed,
                        "after the replay '" + primary.name + "' is at GTID " + position +
                            ", not at the target's " + final_state,
                        "something else wrote to it during the replay, or the archive is "
                        "damaged; inspect it before using it");
  }
  return core::Status::Ok();
}

// The base restore of a point-in-time restore (its `reaches` set by the caller).
engine::NativeRestoreOptions NativeOptions(const BinlogRestoreOptions& options) {
  engine::NativeRestoreOptions native;
  native.confirm_overwrite = options.confirm_overwrite;
  native.force = options.force;
  native.heal = options.heal;
  // An instance holding no transaction past the archive's end loses nothing a later restore
  // could not replay again; one past it (or of unknown position) needs consent.
  native.confirm_rewind = options.confirm_rewind;
  // Replication: the replicas are rebuilt after the replay (see RebuildFrom). Galera declines
  // (CanRebuildLater): its restore bootstraps the target and joins every other node by a full
  // state transfer, data directory moved aside, before it returns, and the replay then goes
  // through Galera to all of them. Why not join them afterwards: a node of the abandoned history
  // must never join by IST (same cluster UUID, its own seqnos), so it needs the engine's full
  // rejoin either way, and replaying on a synced cluster costs no second state transfer; every
  // node writes the replayed write sets to its own binlog, so the archive can follow any node
  // right after. Every node stays read-only until the check (stay_read_only); a write that still
  // got through (an account with READ ONLY ADMIN) moves the final position past the target,
  // which CheckFinalPosition refuses (kVerifyFailed).
  native.rebuild_later = true;
  // A kill during the replay or the rebuild leaves the record of an unfinished restore, so the
  // rerun stops the half-replayed instances and starts over instead of refusing them as running.
  native.caller_finishes = true;
  // No application writes before the replay reached the target and its position was checked:
  // a write into the half-replayed base would fork it from the archive's history, and a killed
  // restore (the failpoint before the replay) would leave a writable database that is neither base
  // nor target.
  native.stay_read_only = true;
  native.into_another_cluster = options.source.has_value();
  return native;
}

}  // namespace

core::Result<BinlogRestoreResult> RestoreBinlogsToPoint(const engine::ClusterHandle& target,
                                                        repo::Repository& repo,
                                                        engine::BinlogArchiving& binlogs,
                                                        const BinlogRestoreOptions& options) {
  const platform::Cluster& cluster = options.source ? *options.source : target.cluster();
  if (options.target.kind == catalog::BinlogTargetKind::kWholeArchive) {
    return core::Usage("a binlog point-in-time restore needs a target",
                       "pass --until TIME or --until-gtid GTID");
  }
  // An instant restore serves the base from a FUSE mount on this machine: where the data
  // directories are elsewhere its clear refusal comes before anything is read or changed. A plain
  // base streams into the pod and the replay reaches the server through its connection.
  if (options.instant) {
    HS_TRY(jobs::RefuseRemoteDataDirectories(target.platform(), target.cluster()));
  }
  // A base that cannot be restored here at all (a Galera cluster in an operator's pods) is refused
  // before the archive is read: nothing it holds would change that.
  HS_TRY(jobs::CheckNativeRestorable(target));
  HS_ASSIGN_OR_RETURN(auto lock, repo::RepoLock::Acquire(repo, repo::LockOptions{}));
  HS_TRY(repo.LoadIndex());
  HS_ASSIGN_OR_RETURN(catalog::BinlogCatalog catalog,
                      catalog::LoadBinlogCatalogWithStream(repo, cluster));
  HS_ASSIGN_OR_RETURN(std::vector<catalog::LoadedBinlogFile> files,
                      catalog::LoadBinlogFiles(repo, catalog, binlogs));
  BinlogRestoreResult result;
  HS_ASSIGN_OR_RETURN(result.plan,
                      PlanReplay(repo, cluster, files, catalog, binlogs, options.target));
  core::LogInfo("point-in-time restore from base " +
                    repo::IdToHex(result.plan.base.id).substr(0, 8) + " to " +
                    DescribeTarget(options.target),
                {{"transactions", std::to_string(result.plan.transactions)},
                 {"final_gtid", result.plan.final_state}});
  HS_ASSIGN_OR_RETURN(core::TempDir scratch,
                      core::TempDir::CreateOwned("hasteward-binlog-replay-"));
  // Written before anything changes: a failure here leaves the cluster as it was.
  std::vector<std::string> replay_paths;
  for (const auto& replay : result.plan.files) {
    auto file = std::find_if(files.begin(), files.end(),
                             [&replay](const catalog::LoadedBinlogFile& loaded) {
                               return loaded.identity.Key() == replay.identity.Key();
                             });
    replay_paths.push_back(scratch.path() + "/" + std::to_string(replay_paths.size()) + ".binlog");
    HS_TRY(WriteReplayFile(*file, replay, replay_paths.back()));
  }
  engine::NativeRestoreOptions native = NativeOptions(options);
  auto whole =
      PlanReplay(repo, cluster, files, catalog, binlogs, catalog::BinlogTarget::EndOfArchive());
  native.reaches = {{"gtid_position", whole.ok() ? whole->final_state : result.plan.final_state}};
  // Run on the restored primary before it takes writes (on an instant restore's overlay, before
  // hydration), so the point is reached the same way whether the base was restored or served.
  auto to_point = [&](const platform::Instance& primary) -> core::Status {
    // The cluster now continues from the target: what was archived beyond it is the abandoned
    // future, and its GTIDs will be written again with other content. Not for another cluster's
    // archive (a DR activation): the source's history is not abandoned by a copy elsewhere.
    if (!options.source) {
      HS_TRY(RecordRestoreRewind(repo, cluster, catalog, options.target, result.plan.final_state,
                                 result.plan.base));
    }
    // A crash here leaves the base restored and nothing replayed, the worst place for a rerun to
    // mistake the cluster for a finished restore
    // (tests/integration/mariadb_standby_activation_test).
    core::Failpoint("binlog-restore-before-replay");
    if (!replay_paths.empty()) {
      HS_TRY(Replay(target, binlogs, primary, replay_paths, result));
    }
    HS_TRY(CheckFinalPosition(target, binlogs, primary, result.plan.final_state));
    core::Failpoint("binlog-restore-replayed");
    return binlogs.OpenForWrites(target.platform(), target.cluster(), primary)
        .Wrap("open the restored cluster for writes after the replay");
  };
  // The lock is held through the replay too: an instant restore reads the repository until the
  // instance runs on local disk, and the replay reads only the scratch files written above.
  HS_ASSIGN_OR_RETURN(
      RestoredBase restored,
      RestoreBase(target, repo, result.plan.base,
                  {.native = native, .instant = options.instant, .to_point = to_point}));
  result.bytes = restored.bytes;
  result.instant = std::move(restored.instant);
  HS_TRY(lock->Release());
  HS_TRY(RebuildFrom(target, restored.instance, restored.rebuild_deferred, options.heal));
  HS_TRY(engine::ClearUnfinishedRestores(target.platform(), target.cluster()));
  return result;
}

core::Status RecordNativeRestoreRewind(repo::Repository& repo, const platform::Cluster& cluster,
                                       const std::string& state, const std::string& snapshot_id) {
  HS_TRY(repo.LoadIndex());
  HS_ASSIGN_OR_RETURN(catalog::BinlogCatalog catalog,
                      catalog::LoadBinlogCatalogWithStream(repo, cluster));
  // Nothing archived: nothing of the abandoned history can come back.
  if (catalog.files().empty() && catalog.rewinds().empty()) {
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(auto snapshots,
                      jobs::ClusterSnapshots(repo, cluster, repo::SnapshotType::kBackup));
  catalog::BinlogRewind rewind{RewindStampNs(snapshots, catalog), state, std::nullopt,
                               std::nullopt};
  // Named, the base is live again even where an earlier rewind abandoned it (BaseAbandoned): seed
  // 19 of mariadb_history_property_test restored a base the previous restore had abandoned, and
  // `pitr status` then offered no base for the live history.
  auto restored = std::find_if(
      snapshots.begin(), snapshots.end(),
      [&](const repo::Snapshot& candidate) { return repo::IdToHex(candidate.id) == snapshot_id; });
  if (restored != snapshots.end()) {
    rewind.base = RestoredBaseOf(*restored);
  }
  core::LogInfo("recording the restore in the binlog archive",
                {{"gtid_position", state}, {"base", snapshot_id.substr(0, 8)}});
  return RecordBinlogRewind(repo, cluster, rewind).Wrap("record the restore in the binlog archive");
}

}  // namespace hasteward::pitr
