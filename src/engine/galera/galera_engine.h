#pragma once

#include "engine/galera/native_backup.h"
#include "engine/mariadb/mariadb_engine.h"

namespace hasteward::engine::galera {

// MariaDB Galera ("galera"): backups from a Synced node (preferring one other than ordinal 0, to
// keep load off the node clients usually write to); restores into one Synced node, replicated to
// the others by wsrep.
class GaleraEngine : public mariadb::MariadbFamilyEngine {
 public:
  EngineKind kind() const override { return EngineKind::kGalera; }
  EngineKind ScratchKind() const override { return EngineKind::kMariadb; }
  core::Result<BackupPlan> PlanBackup(platform::Platform& platform,
                                      const platform::Cluster& cluster) override;
  core::Result<TriageReport> Triage(platform::Platform& platform,
                                    const platform::Cluster& cluster) override;
  InstanceDescription DescribeInstanceHealth(const InstanceHealth& health) const override;
  bool DonorCandidate(const InstanceHealth& health) const override;
  std::string NoDonorReason() const override;
  std::string AuthorityObjection(const InstanceHealth& target, const InstanceHealth& donor,
                                 bool split_brain_forced) const override;
  core::Status HealInstance(platform::Platform& platform, const platform::Cluster& cluster,
                            const platform::Instance& target, const platform::Instance& donor,
                            const HealOptions& options) override;
  bool DonorsAreEquivalent() const override { return true; }
  bool NeedsBootstrap(const TriageReport& report) const override;
  core::Status PlanBootstrap(const TriageReport& report, RepairPlan* plan) const override;
  core::Status BootstrapInstance(platform::Platform& platform, const platform::Cluster& cluster,
                                 const InstanceHealth& node, const HealOptions& options) override;
  core::Status RejoinInstance(platform::Platform& platform, const platform::Cluster& cluster,
                              const platform::Instance& node, const HealOptions& options) override;
  NativeBackup* native_backup() override { return &native_; }
  Reconfigure* reconfigure() override { return &reconfigure_; }
  BinlogArchiving* binlog_archiving() override { return &binlogs_; }

 protected:
  bool IsGaleraCluster() const override { return true; }
  core::Result<RestorePlan> ChooseRestoreTarget(
      const platform::Cluster& cluster, const std::vector<mariadb::InstanceProbe>& probes) override;

 private:
  GaleraNativeBackup native_{*this};
  mariadb::MariadbReconfigure reconfigure_{true};
  mariadb::MariadbBinlogSource binlogs_{true};
};

}  // namespace hasteward::engine::galera
