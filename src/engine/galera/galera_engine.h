#pragma once

#include "engine/mariadb/mariadb_engine.h"

namespace hasteward::engine::galera {

// MariaDB Galera ("galera"): backups from a Synced node (preferring one other than ordinal 0, to
// keep load off the node clients usually write to); restores into one Synced node, replicated to
// the others by wsrep.
class GaleraEngine : public mariadb::MariadbFamilyEngine {
 public:
  EngineKind kind() const override { return EngineKind::kGalera; }
  core::Result<BackupPlan> PlanBackup(platform::Platform& platform,
                                      const platform::Cluster& cluster) override;
  core::Result<TriageReport> Triage(platform::Platform& platform,
                                    const platform::Cluster& cluster) override;
  InstanceDescription DescribeInstance(const InstanceHealth& health) const override;

 protected:
  core::Result<RestorePlan> ChooseRestoreTarget(
      const platform::Cluster& cluster, const std::vector<mariadb::InstanceProbe>& probes) override;
};

}  // namespace hasteward::engine::galera
