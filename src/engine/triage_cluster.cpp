#include "engine/engine.h"
#include "engine/triage.h"

namespace hasteward::engine {

core::Result<TriageReport> TriageCluster(platform::Platform& platform,
                                         const platform::Cluster& cluster) {
  HS_ASSIGN_OR_RETURN(auto engine, MakeEngine(cluster.engine));
  return engine->Triage(platform, cluster);
}

int FindInstanceHealth(const TriageReport& report, const std::string& name) {
  for (size_t n = 0; n < report.instances.size(); ++n) {
    if (report.instances[n].instance.name == name)
      return static_cast<int>(n);
  }
  return -1;
}

}  // namespace hasteward::engine
