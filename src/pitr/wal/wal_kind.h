// pitr/wal/wal_kind: PostgreSQL's WAL archive as a pitr::Archive. The server pushes each file
// (`wal-push` as archive_command) and a restored server fetches them back (`wal-fetch` as
// restore_command); the plan, status and retention read the archived segments and timelines.
#pragma once

#include "engine/archiving.h"
#include "pitr/archive.h"

namespace hasteward::pitr {

class WalArchiveKind : public Archive {
 public:
  // `engine` (which has `archiving`) must outlive this.
  WalArchiveKind(engine::Engine& engine, engine::Archiving& archiving)
      : engine_(engine), archiving_(archiving) {}

  ArchiveFeed feed() const override { return ArchiveFeed::kServerPushes; }
  const char* position_flag() const override { return "--until-lsn"; }
  core::Status CheckPosition(const std::string& position) const override;
  core::Result<RenderedPitrStatus> Status(repo::Repository& repo,
                                          const platform::Cluster& cluster) override;
  // The restored server fetches the archive itself: its restore_command must build.
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
  // Nothing: a restored PostgreSQL writes on a new timeline.
  core::Status BeforeRestoredWrites(repo::Repository& /*repo*/,
                                    const platform::Cluster& /*cluster*/,
                                    const std::map<std::string, std::string>& /*facts*/) override {
    return core::Status::Ok();
  }

 private:
  engine::Engine& engine_;
  engine::Archiving& archiving_;
};

}  // namespace hasteward::pitr
