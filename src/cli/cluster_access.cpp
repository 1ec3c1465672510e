#include "cli/cluster_access.h"

#include "platform/registry.h"

namespace hasteward::cli {

core::Result<ClusterContext> OpenCluster(const GlobalOptions& g) {
  if (g.cluster.empty()) {
    return core::Usage("no cluster given", "pass -c CLUSTER (and -n NAMESPACE, -e ENGINE)");
  }
  HS_ASSIGN_OR_RETURN(auto opened, OpenPlatform(g));
  ClusterContext ctx;
  HS_ASSIGN_OR_RETURN(ctx.cluster, opened->FindCluster(g.ns, g.cluster));
  if (!g.engine.empty()) {
    HS_ASSIGN_OR_RETURN(auto kind, platform::ParseEngineKind(g.engine));
    if (kind != ctx.cluster.engine) {
      return core::Usage(std::string("cluster '") + g.ns + "/" + g.cluster + "' is a '" +
                         platform::EngineKindName(ctx.cluster.engine) + "' cluster, not '" +
                         g.engine + "'");
    }
  }
  HS_ASSIGN_OR_RETURN(ctx.engine, engine::MakeEngine(ctx.cluster.engine));
  ctx.platform = std::move(opened);
  return ctx;
}

core::Result<std::unique_ptr<platform::Platform>> OpenPlatform(const GlobalOptions& g) {
  platform::PlatformOptions o;
  o.name = g.platform;
  o.inventory_path = g.inventory;
  return platform::OpenPlatform(o);
}

}  // namespace hasteward::cli
