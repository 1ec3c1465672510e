#include "engine/galera/galera_engine.h"

namespace hasteward::engine::galera {

using mariadb::InstanceProbe;

namespace {

// Synced nodes in inventory order, and a summary of the others.
std::vector<const InstanceProbe*> SyncedNodes(const std::vector<InstanceProbe>& probes,
                                              std::string* skipped) {
  std::vector<const InstanceProbe*> synced;
  for (const auto& p : probes) {
    std::string why;
    if (!p.status.ok()) {
      why = p.status.message();
    } else if (mariadb::GaleraSynced(p, &why)) {
      synced.push_back(&p);
      continue;
    }
    *skipped += (skipped->empty() ? "" : "; ") + p.instance->name + ": " + why;
  }
  return synced;
}

}  // namespace

core::Result<BackupPlan> GaleraEngine::PlanBackup(platform::Platform& platform,
                                                  const platform::Cluster& cluster) {
  InstanceHandles handles(platform, cluster);
  std::vector<InstanceProbe> probes = mariadb::ProbeInstances(handles, true);
  std::string skipped;
  std::vector<const InstanceProbe*> synced = SyncedNodes(probes, &skipped);
  if (synced.empty()) {
    return mariadb::NoUsableInstance(cluster, probes, "synced galera node");
  }
  const InstanceProbe* chosen = synced[0];
  for (const auto* p : synced) {
    if (p->instance->ordinal != 0) {
      chosen = p;
      break;
    }
  }
  BackupPlan plan;
  plan.source = *chosen->instance;
  plan.role = InstanceRole::kGaleraNode;
  plan.reason =
      "galera node '" + chosen->instance->name + "' is Synced in the Primary component" +
      (chosen->instance->ordinal != 0 ? " (a node other than ordinal 0 is preferred)" : "");
  plan.virtual_filename = DumpFileName();
  plan.metadata = chosen->vars;
  plan.metadata["log_bin"] = chosen->log_bin ? "ON" : "OFF";
  if (!skipped.empty()) {
    plan.metadata["skipped"] = skipped;
  }
  return plan;
}

core::Result<RestorePlan> GaleraEngine::ChooseRestoreTarget(
    const platform::Cluster& cluster, const std::vector<InstanceProbe>& probes) {
  std::string skipped;
  std::vector<const InstanceProbe*> synced = SyncedNodes(probes, &skipped);
  if (synced.empty()) {
    return mariadb::NoUsableInstance(cluster, probes, "synced galera node");
  }
  RestorePlan plan;
  plan.target = *synced[0]->instance;
  plan.reason = "galera node '" + plan.target.name + "' is Synced; wsrep replicates the restore";
  return plan;
}

}  // namespace hasteward::engine::galera
