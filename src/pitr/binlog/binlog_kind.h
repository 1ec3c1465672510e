// pitr/binlog/binlog_kind: MariaDB/Galera binlogs as a pitr::Archive. An archiver pulls the
// writer's binlogs into the repository (`archive binlog --follow`, which serve runs); a restore
// replays the archived transactions with their GTIDs on the restored primary.
#pragma once

#include "engine/binlog_archiving.h"
#include "pitr/archive.h"

namespace hasteward::pitr {

class BinlogArchiveKind : public Archive {
 public:
  // `binlogs` (the engine's capability) must outlive this.
  explicit BinlogArchiveKind(engine::BinlogArchiving& binlogs) : binlogs_(binlogs) {}

  ArchiveFeed feed() const override { return ArchiveFeed::kArchiverPulls; }
  const char* position_flag() const override { return "--until-gtid"; }
  core::Status CheckPosition(const std::string& position) const override;
  core::Result<RenderedPitrStatus> Status(repo::Repository& repo,
                                          const platform::Cluster& cluster) override;
  // The replay reads the repository itself: nothing the server needs.
  core::Status CheckRequest(const PointRestoreRequest& request) const override;
  core::Result<PointRestoreOutcome> RestoreToPoint(const engine::ClusterHandle& target,
                                                   repo::Repository& repo,
                                                   const PointRestoreRequest& request) override;
  core::Status RunSyncReceiver(repo::Repository& repo, platform::Platform& platform,
                               const platform::Cluster& cluster,
                               const SyncReceiverOptions& options) override;
  core::Result<std::unique_ptr<ArchivePuller>> OpenPuller(
      repo::Repository& repo, platform::Platform& platform,
      const platform::Cluster& cluster) override;
  core::Status EnableServerArchiving(platform::Platform& platform, const platform::Cluster& cluster,
                                     const engine::ArchiveCommands& commands) override;
  std::vector<repo::ArchivePieceDecision> DecideRetention(
      const std::vector<const repo::SnapshotMeta*>& kept_backups,
      const std::vector<const repo::SnapshotMeta*>& pieces) const override;
  core::Status BeforeRemoval(repo::Repository& repo, const repo::PlanGroup& group) const override;
  // A rewind to the backup's gtid_position when the archive holds anything of the cluster.
  core::Status BeforeRestoredWrites(repo::Repository& repo, const platform::Cluster& cluster,
                                    const std::map<std::string, std::string>& facts) override;

 private:
  engine::BinlogArchiving& binlogs_;
};

}  // namespace hasteward::pitr
