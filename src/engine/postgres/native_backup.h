#pragma once

#include "engine/native_backup.h"

namespace hasteward::engine::postgres {

// PostgreSQL physical backups: pg_basebackup -F tar -D - -X fetch (the tar stream on stdout with
// the WAL the backup needs and the backup manifest appended; -X stream cannot write to stdout), and
// their restore into a stopped instance, after which the standbys are re-cloned from it
// (HealStandby). `planner` chooses the source like a dump (the primary).
class PgNativeBackup : public NativeBackup {
 public:
  explicit PgNativeBackup(DumpSource& planner) : planner_(planner) {}

  size_t PageSize() const override;
  size_t DefaultBlockSize() const override;
  int DefaultCompressionLevel() const override;
  core::Result<BackupPlan> PlanNativeBackup(platform::Platform& platform,
                                            const platform::Cluster& cluster) override;
  core::Result<std::unique_ptr<NativeBackupStream>> OpenNativeBackup(
      platform::Platform& platform, const platform::Cluster& cluster, const BackupPlan& plan,
      size_t block_size) override;
  bool SupportsIncremental() const override;
  core::Result<std::unique_ptr<NativeBackupStream>> OpenIncrementalNativeBackup(
      platform::Platform& platform, const platform::Cluster& cluster, const BackupPlan& plan,
      size_t block_size, const IncrementalBase& base) override;
  core::Result<NativeRestorePlan> PlanNativeRestore(platform::Platform& platform,
                                                    const platform::Cluster& cluster,
                                                    const std::map<std::string, std::string>& facts,
                                                    const NativeRestoreOptions& options) override;
  core::Status PrepareNativeRestore(platform::Platform& platform, const platform::Cluster& cluster,
                                    const NativeRestorePlan& plan) override;
  std::string ChecksumManifestName() const override;
  core::Result<std::unique_ptr<RestoredTreeCheck>> MakeRestoredTreeCheck(
      std::string_view manifest) override;
  core::Status CheckRestoredTree(platform::Platform& platform, const platform::Cluster& cluster,
                                 const NativeRestorePlan& plan) override;
  core::Status FinishNativeRestore(platform::Platform& platform, const platform::Cluster& cluster,
                                   const NativeRestorePlan& plan,
                                   const NativeRestoreOptions& options) override;
  HeldDataJudgement JudgeHeldData(
      const InstanceHealth& fresh,
      const std::map<std::string, std::string>& replacement) const override;

 private:
  DumpSource& planner_;
};

}  // namespace hasteward::engine::postgres
