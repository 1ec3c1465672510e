#include "engine/postgres/cluster_view.h"

#include "engine/postgres/fence.h"

namespace hasteward::engine::postgres {

std::vector<ObservedInstance> ObserveCluster(platform::Platform& platform,
                                             const platform::Cluster& cluster) {
  std::vector<ObservedInstance> seen;
  for (const auto& instance : cluster.instances) {
    ObservedInstance o;
    o.instance = instance;
    auto state = ReadServerState(cluster, instance);
    if (state.ok()) {
      o.state = std::move(state).value();
    } else {
      o.error = state.status().message();
    }
    o.fence = ReadFence(platform, cluster, instance);
    seen.push_back(std::move(o));
  }
  return seen;
}

std::vector<const ObservedInstance*> Primaries(const std::vector<ObservedInstance>& seen) {
  std::vector<const ObservedInstance*> out;
  for (const auto& o : seen) {
    if (o.primary())
      out.push_back(&o);
  }
  return out;
}

}  // namespace hasteward::engine::postgres
