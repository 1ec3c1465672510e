#include "pitr/binlog/binlog_kind.h"

#include <cstdio>

#include "catalog/binlog/binlog_index_prune.h"
#include "core/log.h"
#include "pitr/binlog/binlog_puller.h"
#include "pitr/binlog/binlog_receiver.h"
#include "pitr/binlog/binlog_restore.h"
#include "pitr/binlog/binlog_retention.h"
#include "pitr/binlog/binlog_status.h"

namespace hasteward::pitr {

namespace {

catalog::BinlogTarget TargetOf(const RestorePoint& point) {
  switch (point.kind) {
    case RestorePointKind::kTime:
      // Binlog events carry whole seconds.
      return catalog::BinlogTarget::Time(point.time.unix_seconds);
    case RestorePointKind::kPosition: return catalog::BinlogTarget::Gtid(point.position);
    case RestorePointKind::kEndOfArchive: break;
  }
  return catalog::BinlogTarget::EndOfArchive();
}

std::string Summary(const BinlogRestoreResult& result) {
  char line[512];
  std::snprintf(line, sizeof line,
                "replayed %zu archived transactions to GTID %s (%s applier, %u threads, replay "
                "%.1f s)",
                result.plan.transactions, result.plan.final_state.c_str(),
                engine::BinlogApplierName(result.replay.applier), result.replay.threads,
                result.replay_seconds);
  return line;
}

}  // namespace

core::Status BinlogArchiveKind::CheckPosition(const std::string& position) const {
  if (position.empty()) {
    return core::Usage("an empty GTID position", "pass --until-gtid DOMAIN-SERVER-SEQUENCE");
  }
  return core::Status::Ok();
}

core::Result<RenderedPitrStatus> BinlogArchiveKind::Status(repo::Repository& repo,
                                                           const platform::Cluster& cluster) {
  HS_ASSIGN_OR_RETURN(BinlogPitrStatus status, ReadBinlogPitrStatus(repo, cluster, binlogs_));
  return RenderedPitrStatus{status.ToJson(), status.ToText()};
}

core::Status BinlogArchiveKind::CheckRequest(const PointRestoreRequest& /*request*/) const {
  return core::Status::Ok();
}

core::Result<PointRestoreOutcome> BinlogArchiveKind::RestoreToPoint(
    const engine::ClusterHandle& target, repo::Repository& repo,
    const PointRestoreRequest& request) {
  BinlogRestoreOptions options;
  options.target = TargetOf(request.point);
  options.confirm_overwrite = request.confirm_overwrite;
  options.force = request.force;
  options.confirm_rewind = request.confirm_rewind;
  options.heal = request.heal;
  options.source = request.source;
  options.instant = request.instant;
  HS_ASSIGN_OR_RETURN(BinlogRestoreResult result,
                      RestoreBinlogsToPoint(target, repo, binlogs_, options));
  PointRestoreOutcome outcome;
  outcome.base = result.plan.base;
  outcome.bytes = result.bytes;
  outcome.stopped_at = "GTID " + result.plan.final_state;
  outcome.reached_end = result.plan.final_state;
  outcome.replayed = result.plan.transactions;
  outcome.summary = Summary(result);
  outcome.instant = std::move(result.instant);
  return outcome;
}

core::Status BinlogArchiveKind::RunSyncReceiver(repo::Repository& repo,
                                                platform::Platform& platform,
                                                const platform::Cluster& cluster,
                                                const SyncReceiverOptions& options) {
  BinlogReceiverOptions receiver;
  receiver.fallback_after = options.fallback_after;
  receiver.stop = options.stop;
  if (options.progress) {
    receiver.progress = [&options](const BinlogReceiverProgress& p) {
      options.progress({{"writer", p.writer},
                        {"file", p.file},
                        {"durable", p.durable},
                        {"durable_state", p.durable_state},
                        {"pieces_written", p.pieces_written},
                        {"snapshots", p.snapshots},
                        {"store_micros", p.store_micros},
                        {"acknowledged", p.acknowledged},
                        {"synchronous", p.synchronous},
                        {"fallbacks", p.fallbacks},
                        {"repository_down", p.repository_down},
                        {"covered_at", p.covered_at}});
    };
  }
  return RunBinlogReceiver(repo, platform, cluster, binlogs_, receiver);
}

core::Result<std::unique_ptr<ArchivePuller>> BinlogArchiveKind::OpenPuller(
    repo::Repository& repo, platform::Platform& platform, const platform::Cluster& cluster) {
  return std::unique_ptr<ArchivePuller>(
      std::make_unique<BinlogPuller>(repo, platform, cluster, binlogs_));
}

core::Status BinlogArchiveKind::EnableServerArchiving(platform::Platform& /*platform*/,
                                                      const platform::Cluster& /*cluster*/,
                                                      const engine::ArchiveCommands& /*commands*/) {
  return core::Usage(
      "MariaDB binlogs are pulled into the archive, not pushed by the server",
      "run 'hasteward archive binlog --follow' (serve runs it for clusters with pitr "
      "on)");
}

std::vector<repo::ArchivePieceDecision> BinlogArchiveKind::DecideRetention(
    const std::vector<const repo::SnapshotMeta*>& kept_backups,
    const std::vector<const repo::SnapshotMeta*>& pieces) const {
  return DecideBinlogPieces(binlogs_, kept_backups, pieces);
}

// The binlog piece index names snapshots: it forgets the removed ones before they go.
core::Status BinlogArchiveKind::BeforeRemoval(repo::Repository& repo,
                                              const repo::PlanGroup& group) const {
  return catalog::ForgetPrunedBinlogPieces(repo, group);
}

core::Status BinlogArchiveKind::BeforeRestoredWrites(
    repo::Repository& repo, const platform::Cluster& cluster,
    const std::map<std::string, std::string>& facts) {
  auto position = facts.find("gtid_position");
  // Why not refuse: the restore is what the user needs now; the archive's point-in-time restores
  // after it are what stays unproven, and the warning says so.
  if (position == facts.end() || position->second.empty()) {
    core::LogWarn(
        "the restored backup records no GTID position: the binlog archive is not told "
        "where the restored history starts; take a new native backup before relying "
        "on point-in-time restores after this one");
    return core::Status::Ok();
  }
  auto snapshot = facts.find(engine::kRestoredSnapshotFact);
  return RecordNativeRestoreRewind(repo, cluster, position->second,
                                   snapshot == facts.end() ? "" : snapshot->second);
}

}  // namespace hasteward::pitr
