#pragma once

#include "engine/mariadb/native_stream.h"
#include "engine/native_backup.h"

namespace hasteward::engine::mariadb {

// MariaDB physical backups: `mariadb-backup --backup --stream=mbstream` run beside the source's
// data directory, its stream parsed as it arrives (no temporary copy of the data), and their
// restore: the tree restored beside a stopped instance, `mariadb-backup --prepare`d (which also
// proves it whole), swapped in, started; then the other instances are rebuilt from it. `planner`
// chooses the source like a dump (a healthy replica, else the primary). The Galera engine
// derives from this (engine/galera/native_backup.h) for its desync, join and bootstrap steps.
class MariadbNativeBackup : public NativeBackup {
 public:
  explicit MariadbNativeBackup(DumpSource& planner) : planner_(planner) {}

  size_t PageSize() const override;
  size_t DefaultBlockSize() const override;
  int DefaultCompressionLevel() const override;
  core::Result<BackupPlan> PlanNativeBackup(platform::Platform& platform,
                                            const platform::Cluster& cluster) override;
  core::Result<std::unique_ptr<NativeBackupStream>> OpenNativeBackup(
      platform::Platform& platform, const platform::Cluster& cluster, const BackupPlan& plan,
      size_t block_size) override;
  core::Result<NativeRestorePlan> PlanNativeRestore(platform::Platform& platform,
                                                    const platform::Cluster& cluster,
                                                    const std::map<std::string, std::string>& facts,
                                                    const NativeRestoreOptions& options) override;
  core::Status RestartRestoredTarget(platform::Platform& platform, const platform::Cluster& cluster,
                                     const platform::Instance& target) override;
  core::Status PrepareNativeRestore(platform::Platform& platform, const platform::Cluster& cluster,
                                    const NativeRestorePlan& plan) override;
  core::Status CheckRestoredTree(platform::Platform& platform, const platform::Cluster& cluster,
                                 const NativeRestorePlan& plan) override;
  core::Status FinishNativeRestore(platform::Platform& platform, const platform::Cluster& cluster,
                                   const NativeRestorePlan& plan,
                                   const NativeRestoreOptions& options) override;
  HeldDataJudgement JudgeHeldData(
      const InstanceHealth& fresh,
      const std::map<std::string, std::string>& replacement) const override;

 protected:
  // mariadb-backup flags that depend on the source: --slave-info on a replica.
  virtual std::vector<std::string> SourceFlags(const BackupPlan& plan) const;
  // What must hold while the backup runs (nothing here; Galera: the node desynced).
  virtual core::Result<std::unique_ptr<BackupHold>> HoldSource(
      const platform::InstanceHandle& source);
  // The instance a restore replaces (read-only): the first stopped one; kSafetyStop when every
  // instance runs.
  virtual core::Result<const platform::Instance*> ChooseRestoreTarget(
      platform::Platform& platform, const platform::Cluster& cluster,
      const std::map<std::string, std::string>& facts);
  // After the swap: start the target and rebuild the others (replicas re-cloned by HealReplica).
  // Whether the replicas may be rebuilt by the caller after the restore (a Galera node joins by
  // state transfer as part of the restore itself).
  virtual bool CanRebuildLater() const { return true; }
  virtual core::Status StartAndRebuild(platform::Platform& platform,
                                       const platform::Cluster& cluster,
                                       const NativeRestorePlan& plan,
                                       const NativeRestoreOptions& options);
  // Re-clones plan.rebuild from the running target; each writes in the new history's `domain`.
  core::Status RebuildReplicas(platform::Platform& platform, const platform::Cluster& cluster,
                               const NativeRestorePlan& plan, const NativeRestoreOptions& options,
                               uint32_t domain);
  // Moves plan.staging_dir into the target's data directory, keeping the old one.
  core::Status SwapIn(platform::Platform& platform, const platform::Cluster& cluster,
                      const NativeRestorePlan& plan, const NativeRestoreOptions& options);

  DumpSource& planner_;
};

}  // namespace hasteward::engine::mariadb
