#include "engine/galera/triage.h"
#include "engine/mariadb/triage.h"
#include "engine/postgres/triage.h"
#include "engine/triage.h"

namespace hasteward::engine {

core::Result<TriageReport> TriageCluster(platform::Platform& platform,
                                         const platform::Cluster& cluster) {
  switch (cluster.engine) {
    case platform::EngineKind::kPostgres: return postgres::TriagePostgres(platform, cluster);
    case platform::EngineKind::kMariadb: return mariadb::TriageMariadb(platform, cluster);
    case platform::EngineKind::kGalera: return galera::TriageGalera(platform, cluster);
  }
  return core::Internal("triage: unknown engine kind");
}

int FindInstanceHealth(const TriageReport& report, const std::string& name) {
  for (size_t n = 0; n < report.instances.size(); ++n) {
    if (report.instances[n].instance.name == name)
      return static_cast<int>(n);
  }
  return -1;
}

}  // namespace hasteward::engine
