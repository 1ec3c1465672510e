#include "cli/cluster_access.h"

#include "platform/registry.h"

namespace hasteward::cli {

core::Result<ClusterContext> OpenCluster(const GlobalOptions& g) {
  if (g.cluster.empty()) {
    return core::Usage("no cluster given", "pass -c CLUSTER (and -n NAMESPACE, -e ENGINE)");
  }
  HS_ASSIGN_OR_RETURN(auto opened, OpenPlatform(g));
  HS_ASSIGN_OR_RETURN(platform::Cluster cluster, opened->FindCluster(g.ns, g.cluster));
  if (!g.engine.empty()) {
    HS_ASSIGN_OR_RETURN(auto kind, platform::ParseEngineKind(g.engine));
    if (kind != cluster.engine) {
      return core::Usage(std::string("cluster '") + g.ns + "/" + g.cluster + "' is a '" +
                         platform::EngineKindName(cluster.engine) + "' cluster, not '" + g.engine +
                         "'");
    }
  }
  HS_ASSIGN_OR_RETURN(engine::ClusterHandle target,
                      engine::ClusterHandle::Open(*opened, std::move(cluster)));
  return ClusterContext{.platform = std::move(opened), .target = std::move(target)};
}

core::Result<std::unique_ptr<platform::Platform>> OpenPlatform(const GlobalOptions& g) {
  platform::PlatformOptions o;
  o.name = g.platform;
  o.inventory_path = g.inventory;
  return platform::OpenPlatform(o);
}

}  // namespace hasteward::cli
