// The defaults of the optional engine capabilities: nothing to prepare before a heal, no
// whole-cluster bootstrap, a backup plan of a chosen instance without engine-specific facts.
#include "engine/engine.h"

namespace hasteward::engine {

core::Status Unsupported(const Engine& engine, const std::string& capability) {
  return core::Usage("engine '" + std::string(platform::EngineKindName(engine.kind())) +
                         "' does not support " + capability,
                     "this version offers it for other engines only");
}

core::Status Healer::PrepareToHeal(platform::Platform& /*platform*/,
                                   const platform::Cluster& /*cluster*/,
                                   const platform::Instance& /*target*/,
                                   const HealOptions& /*options*/) {
  return core::Status::Ok();
}

core::Status Healer::BootstrapInstance(platform::Platform& /*platform*/,
                                       const platform::Cluster& /*cluster*/,
                                       const InstanceHealth& node, const HealOptions& /*options*/) {
  return core::Usage("cannot bootstrap '" + node.instance.name +
                     "': this engine has no whole-cluster bootstrap");
}

core::Status Healer::RejoinInstance(platform::Platform& /*platform*/,
                                    const platform::Cluster& /*cluster*/,
                                    const platform::Instance& node,
                                    const HealOptions& /*options*/) {
  return core::Usage("cannot rejoin '" + node.name +
                     "': this engine has no whole-cluster bootstrap");
}

core::Result<BackupPlan> DumpSource::PlanBackupOf(platform::Platform& /*platform*/,
                                                  const platform::Cluster& /*cluster*/,
                                                  const platform::Instance& instance,
                                                  InstanceRole role) {
  BackupPlan plan;
  plan.source = instance;
  plan.role = role;
  return plan;
}

}  // namespace hasteward::engine
