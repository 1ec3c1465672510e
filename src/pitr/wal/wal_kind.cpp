#include "pitr/wal/wal_kind.h"

#include "catalog/wal/wal_index_append.h"
#include "pitr/wal/wal_plan.h"
#include "pitr/wal/wal_restore.h"
#include "pitr/wal/wal_retention.h"
#include "pitr/wal/wal_status.h"

namespace hasteward::pitr {

core::Status WalArchiveKind::CheckPosition(const std::string& position) const {
  return archiving_.ParsePosition(position).status();
}

core::Result<RenderedPitrStatus> WalArchiveKind::Status(repo::Repository& repo,
                                                        const platform::Cluster& cluster) {
  HS_ASSIGN_OR_RETURN(PitrStatus status, ReadPitrStatus(repo, cluster, engine_));
  return RenderedPitrStatus{status.ToJson(), status.ToText()};
}

// The fetch command is not built here: only a restore into a server on this machine needs it
// (WalSupplyFor asks for it there, before anything changes).
core::Status WalArchiveKind::CheckRequest(const PointRestoreRequest& request) const {
  if (!request.server_restore_command) {
    return core::Internal("a WAL point-in-time restore needs the restored server's fetch command");
  }
  return core::Status::Ok();
}

core::Result<PointRestoreOutcome> WalArchiveKind::RestoreToPoint(
    const engine::ClusterHandle& target, repo::Repository& repo,
    const PointRestoreRequest& request) {
  PointRestoreOptions options;
  switch (request.point.kind) {
    case RestorePointKind::kTime:
      options.target.kind = engine::RecoveryTargetKind::kTime;
      options.target.time = request.point.time;
      break;
    case RestorePointKind::kPosition: {
      options.target.kind = engine::RecoveryTargetKind::kPosition;
      HS_ASSIGN_OR_RETURN(options.target.position,
                          archiving_.ParsePosition(request.point.position));
      break;
    }
    case RestorePointKind::kEndOfArchive:
      options.target.kind = engine::RecoveryTargetKind::kEndOfArchive;
      break;
  }
  options.restore_command = request.server_restore_command;
  options.confirm_overwrite = request.confirm_overwrite;
  options.force = request.force;
  options.confirm_rewind = request.confirm_rewind;
  options.heal = request.heal;
  options.source = request.source;
  options.instant = request.instant;
  HS_ASSIGN_OR_RETURN(PointRestoreResult result, pitr::RestoreToPoint(target, repo, options));
  PointRestoreOutcome outcome;
  outcome.base = result.plan.base.snapshot;
  outcome.bytes = result.bytes;
  outcome.stopped_at = result.plan.target;
  outcome.reached_end =
      archiving_.SegmentFileName(result.plan.last_timeline, result.plan.last_segment);
  uint64_t first = result.plan.base.stop / archiving_.SegmentBytes();
  outcome.replayed = result.plan.last_segment + 1 - first;
  outcome.summary = "replayed WAL to " + result.plan.target;
  outcome.instant = std::move(result.instant);
  return outcome;
}

core::Status WalArchiveKind::RunSyncReceiver(repo::Repository& /*repo*/,
                                             platform::Platform& /*platform*/,
                                             const platform::Cluster& /*cluster*/,
                                             const SyncReceiverOptions& /*options*/) {
  return engine::Unsupported(engine_,
                             "a binlog receiver (PostgreSQL's synchronous receiver is 'hasteward "
                             "wal-receive')");
}

core::Result<std::unique_ptr<ArchivePuller>> WalArchiveKind::OpenPuller(
    repo::Repository& /*repo*/, platform::Platform& /*platform*/,
    const platform::Cluster& /*cluster*/) {
  return engine::Unsupported(engine_,
                             "binlog archiving (the server pushes its WAL: use 'archive "
                             "enable')");
}

core::Status WalArchiveKind::EnableServerArchiving(platform::Platform& platform,
                                                   const platform::Cluster& cluster,
                                                   const engine::ArchiveCommands& commands) {
  return archiving_.EnableArchiving(platform, cluster, commands);
}

std::vector<repo::ArchivePieceDecision> WalArchiveKind::DecideRetention(
    const std::vector<const repo::SnapshotMeta*>& kept_backups,
    const std::vector<const repo::SnapshotMeta*>& pieces) const {
  return DecideWalPieces(archiving_, kept_backups, pieces);
}

core::Status WalArchiveKind::BeforeRemoval(repo::Repository& repo,
                                           const repo::PlanGroup& group) const {
  return ForgetPrunedWal(repo, group);
}

}  // namespace hasteward::pitr
