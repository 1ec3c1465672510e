#pragma once

#include "engine/mariadb/native_backup.h"

namespace hasteward::engine::galera {

// Galera physical backups: mariadb-backup --galera-info from a Synced node that is desynced
// (wsrep_desync) while it is read, so the other nodes keep committing without flow control. A
// restore needs every node stopped (a restored node bootstraps a new Primary component, which
// must not meet the old one): the target is the backup's source node (else ordinal 0), it
// bootstraps a new history (a new cluster state UUID, engine/galera/repair.h BootstrapNewHistory)
// on the backup's data, and every other node joins it by a full state transfer.
class GaleraNativeBackup : public mariadb::MariadbNativeBackup {
 public:
  explicit GaleraNativeBackup(DumpSource& planner) : MariadbNativeBackup(planner) {}

  // The MariaDB backup, whose facts also get the source's GTID position ("gtid_position") once
  // the stream ends: computed from the binlog position mariadb-backup recorded, since its own
  // GTID field is empty on Galera nodes (engine/mariadb/binlog_gtid_at.h). A point-in-time
  // restore replays the archived binlogs from there.
  core::Result<std::unique_ptr<NativeBackupStream>> OpenNativeBackup(
      platform::Platform& platform, const platform::Cluster& cluster, const BackupPlan& plan,
      size_t block_size) override;
  // By Galera position (cluster UUID and seqno), else by GTID when the node runs.
  HeldDataJudgement JudgeHeldData(
      const InstanceHealth& fresh,
      const std::map<std::string, std::string>& replacement) const override;
  // kUsage where an operator owns a node's lifecycle (see ChooseRestoreTarget).
  core::Status CheckRestorable(platform::Platform& platform,
                               const platform::Cluster& cluster) override;

 protected:
  std::vector<std::string> SourceFlags(const BackupPlan& plan) const override;
  core::Result<std::unique_ptr<mariadb::BackupHold>> HoldSource(
      const platform::InstanceHandle& source) override;
  core::Result<const platform::Instance*> ChooseRestoreTarget(
      platform::Platform& platform, const platform::Cluster& cluster,
      const std::map<std::string, std::string>& facts) override;
  bool CanRebuildLater() const override { return false; }
  core::Status StartAndRebuild(platform::Platform& platform, const platform::Cluster& cluster,
                               const NativeRestorePlan& plan,
                               const NativeRestoreOptions& options) override;
};

}  // namespace hasteward::engine::galera
