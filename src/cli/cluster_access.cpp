#include "cli/cluster_access.h"

#include "platform/local/local_platform.h"

namespace hasteward::cli {

core::Result<ClusterContext> OpenCluster(const GlobalOptions& g) {
  if (g.cluster.empty()) {
    return core::Usage("no cluster given", "pass -c CLUSTER (and -n NAMESPACE, -e ENGINE)");
  }
  std::string inventory = g.inventory.empty() ? platform::DefaultInventoryPath() : g.inventory;
  HS_ASSIGN_OR_RETURN(auto local, platform::LocalPlatform::Open(inventory));
  ClusterContext ctx;
  HS_ASSIGN_OR_RETURN(ctx.cluster, local->FindCluster(g.ns, g.cluster));
  if (!g.engine.empty()) {
    HS_ASSIGN_OR_RETURN(auto kind, platform::ParseEngineKind(g.engine));
    if (kind != ctx.cluster.engine) {
      return core::Usage(std::string("cluster '") + g.ns + "/" + g.cluster + "' is a '" +
                         platform::EngineKindName(ctx.cluster.engine) + "' cluster, not '" +
                         g.engine + "'");
    }
  }
  HS_ASSIGN_OR_RETURN(ctx.engine, engine::MakeEngine(ctx.cluster.engine));
  ctx.platform = std::move(local);
  return ctx;
}

}  // namespace hasteward::cli
