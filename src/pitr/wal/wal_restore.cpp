#include "pitr/wal/wal_restore.h"

#include <cstdio>
#include <set>
#include <utility>
#include <vector>

#include "catalog/base_backup_record.h"
#include "catalog/wal/wal_stream_store.h"
#include "core/log.h"
#include "jobs/native_backup.h"
#include "pitr/base_restore.h"
#include "pitr/wal/wal_supply.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::pitr {

namespace {

// Where the archive ends, in a base backup's fact keys (timeline, stop_lsn, system_identifier):
// the end of the newest whole segment of the newest timeline. An instance holding WAL up to
// there loses nothing a later restore could not bring back from the archive.
std::map<std::string, std::string> ArchiveEnd(const catalog::WalCatalog& catalog,
                                              const engine::Archiving& archiving,
                                              const repo::Snapshot& base) {
  std::map<std::string, std::string> facts = catalog::TagFacts(base.tags);
  std::set<uint32_t> timelines = catalog.SegmentTimelines();
  if (timelines.empty())
    return facts;  // no archive: the base's own end
  uint32_t timeline = *timelines.rbegin();
  uint64_t end = (*catalog.NewestSegment(timeline) + 1) * archiving.SegmentBytes();
  char lsn[32];
  std::snprintf(lsn, sizeof(lsn), "%X/%X", static_cast<unsigned>(end >> 32),
                static_cast<unsigned>(end & 0xffffffffU));
  facts["timeline"] = std::to_string(timeline);
  facts["stop_lsn"] = lsn;
  return facts;
}

// The segments a time target's proof reads, in replay order: from the plan's first needed segment
// on its timeline, then along the base's timeline path (the segments replay reads of each next
// timeline) up to where the archive lets replay reach. Before a switch whose next copy is missing
// (PointPlan::stop_before_switch) only that timeline's copy.
std::vector<std::pair<uint32_t, uint64_t>> ProofSegments(const catalog::WalCatalog& catalog,
                                                         const engine::Archiving& archiving,
                                                         const PointPlan& plan) {
  std::vector<std::pair<uint32_t, uint64_t>> out;
  for (uint64_t segment = plan.last_segment; segment <= plan.reach_last; ++segment) {
    out.emplace_back(plan.last_timeline, segment);
  }
  if (plan.stop_before_switch) {
    return out;
  }
  // A target whose timeline is left at a switch after it, with no transaction between the target
  // and the switch (a restore to a point right after a write forks there): replay goes on along
  // the path and stops at the next timeline's first transaction, with the data of the target.
  // History property seed 2518: exit 24 for a point of the live history.
  const BaseWindow window = WindowOf(plan.base, catalog, archiving);
  bool after = false;
  for (size_t i = 0; window.reach.starts && i <= window.last_range; ++i) {
    const catalog::SegmentRange& range = window.segments[i];
    if (after) {
      uint64_t last = i == window.last_range ? window.reach.last : range.last.value_or(range.first);
      for (uint64_t segment = range.first; segment <= last; ++segment) {
        out.emplace_back(range.timeline, segment);
      }
    }
    after = after || range.timeline == plan.last_timeline;  // a path holds a timeline once
  }
  return out;
}

// A time target stops replay only at a transaction record at or after it: without one in the
// archive, recovery runs out of WAL and PostgreSQL refuses to start, after the data directory was
// replaced (issue finding 3). Proven from the archived segments' contents before anything changes:
// from the segment the plan needs (the first the server last wrote at or after the target; no
// earlier one can hold such a record) up to the newest the replay can reach (ProofSegments), each
// read through the supply the server replays with (wal_supply.h).
core::Status ProveTimeTargetReached(const engine::ClusterHandle& target,
                                    const engine::Archiving& archiving,
                                    const catalog::WalCatalog& catalog, WalSupply& supply,
                                    const PointTarget& point, PointPlan& plan) {
  const platform::Instance& host = supply.ReadingInstance();
  engine::TransactionQuery query{
      .at_or_after_micros = point.time.unix_seconds * 1000000 + point.time.nanos / 1000,
      .reached_before_switch = plan.stop_before_switch};
  if (plan.stop_before_switch) {
    // recovery_target_inclusive: replay applies a commit at exactly the target and goes on, and
    // past the switch is the future the next timeline abandoned.
    query.at_or_after_micros += 1;
  }
  for (const auto& [timeline, segment] : ProofSegments(catalog, archiving, plan)) {
    const auto segments = catalog.Segments(timeline);
    auto archived = segments.find(segment);
    if (archived == segments.end()) {
      break;
    }
    HS_TRY(supply.Provide({archived->second}));
    HS_ASSIGN_OR_RETURN(
        bool holds, archiving.HoldsTransaction(target.platform(), target.cluster(),
                                               {.instance = &host,
                                                .restore_command = supply.ReadCommand(),
                                                .name = archived->second->file.name,
                                                .scratch = host.data_dir + ".hasteward-time-proof"},
                                               query));
    if (holds) {
      plan.last_timeline = timeline;
      plan.last_segment = segment;
      return core::Status::Ok();
    }
  }
  return core::Status(
      core::ErrorCode::kSafetyStop,
      "the archive holds no transaction at or after " + plan.target + " on timeline " +
          std::to_string(plan.last_timeline) + " (read from '" +
          archiving.SegmentFileName(plan.last_timeline, plan.last_segment) +
          "' on): PostgreSQL "
          "stops a time target only at a transaction, so the replay would run out of WAL first",
      "nothing was changed; restore to an earlier time inside the window 'hasteward pitr status' "
      "shows, or wait until the source commits and archives past the target");
}

// The native restore of the base as the point-in-time restore runs it: the server's recovery
// (restore_command from the WAL supply) replays to the planned target.
engine::NativeRestoreOptions NativeOptionsFor(const PointRestoreOptions& options) {
  engine::NativeRestoreOptions native;
  native.confirm_overwrite = options.confirm_overwrite;
  native.force = options.force;
  native.heal = options.heal;
  native.confirm_rewind = options.confirm_rewind;
  // A sandbox or a DR site promoted at the point must not push its new timeline into the
  // source's archive, where the source's next restore would follow it.
  native.into_another_cluster = options.source.has_value();
  return native;
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
  // An instant restore serves the base from a FUSE mount on this machine: where the data
  // directories are elsewhere its clear refusal comes before the plan's proofs run anything.
  if (options.instant) {
    HS_TRY(jobs::RefuseRemoteDataDirectories(target.platform(), target.cluster()));
  }
  HS_ASSIGN_OR_RETURN(auto lock, repo::RepoLock::Acquire(repo, repo::LockOptions{}));
  HS_TRY(repo.LoadIndex());
  HS_ASSIGN_OR_RETURN(auto bases, catalog::ListBaseBackups(repo, cluster));
  HS_ASSIGN_OR_RETURN(catalog::WalCatalog catalog,
                      catalog::WalCatalog::Load(repo, cluster, *archiving));
  HS_TRY(catalog.LoadHistories(repo, *archiving));
  PointRestoreResult result;
  // A DR activation replays the receiver's streamed tail too (wal-fetch serves its pieces).
  std::set<std::pair<uint32_t, uint64_t>> streamed;
  if (options.target.kind == engine::RecoveryTargetKind::kEndOfArchive) {
    HS_ASSIGN_OR_RETURN(catalog::WalStreamStore store,
                        catalog::WalStreamStore::Open(repo, cluster));
    for (const auto& [timeline, segment] : store.Segments()) {
      if (catalog::ContiguousEnd(store.Pieces(timeline, segment)) > 0) {
        streamed.insert({timeline, segment});
      }
    }
  }
  HS_ASSIGN_OR_RETURN(result.plan,
                      PlanPoint(bases, catalog, *archiving, options.target, cluster, streamed));
  engine::NativeRestoreOptions native = NativeOptionsFor(options);
  // Declared after the lock: finished (its server stopped, its directory removed) before the lock
  // is released, also on every error below.
  HS_ASSIGN_OR_RETURN(std::unique_ptr<WalSupply> supply,
                      WalSupplyFor({.target = &target,
                                    .repo = &repo,
                                    .archive_cluster = &cluster,
                                    .archiving = archiving,
                                    .catalog = &catalog,
                                    .configured_command = options.restore_command,
                                    .native = native,
                                    .base = &result.plan.base.snapshot}));
  if (options.target.kind == engine::RecoveryTargetKind::kTime) {
    HS_TRY(
        ProveTimeTargetReached(target, *archiving, catalog, *supply, options.target, result.plan));
  }
  HS_TRY(supply->Provide(ReplayedFiles(result.plan, catalog, *archiving)));
  HS_TRY(supply->ProvideStreamed(
      ReplayedStreamedSegments(result.plan, catalog, *archiving, streamed)));
  core::LogInfo(
      "point-in-time restore from base " +
          repo::IdToHex(result.plan.base.snapshot.id).substr(0, 8) + " to " + result.plan.target,
      {{"timeline", std::to_string(result.plan.timeline)},
       {"last_segment",
        archiving->SegmentFileName(result.plan.last_timeline, result.plan.last_segment)}});
  native.reaches = ArchiveEnd(catalog, *archiving, result.plan.base.snapshot);
  native.recovery = engine::RecoveryRequest{
      .restore_command = supply->RestoreCommand(),
      .read_command = supply->ReadCommand(),
      .kind = options.target.kind,
      .target = result.plan.target,
      .timeline = result.plan.timeline,
      .last_file = archiving->SegmentFileName(result.plan.last_timeline, result.plan.last_segment)};
  // The server's own recovery reaches the point (native.recovery): nothing to run after the start.
  HS_ASSIGN_OR_RETURN(RestoredBase restored,
                      RestoreBase(target, repo, result.plan.base.snapshot,
                                  {.native = native,
                                   .instant = options.instant,
                                   .to_point = {},
                                   .before_swap = [&supply](const platform::Instance& replaying) {
                                     return supply->CheckReplaying(replaying);
                                   }}));
  result.bytes = restored.bytes;
  result.instant = std::move(restored.instant);
  supply->Finish();
  HS_TRY(lock->Release());
  return result;
}

}  // namespace hasteward::pitr
