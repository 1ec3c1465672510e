#include "engine/postgres/cluster_view.h"

#include "engine/postgres/fence.h"

namespace hasteward::engine::postgres {

std::vector<ObservedInstance> ObserveCluster(InstanceHandles& handles) {
  std::vector<ObservedInstance> seen;
  for (const auto& instance : handles.cluster().instances) {
    ObservedInstance o;
    o.instance = instance;
    auto handle = handles.Open(instance);
    if (!handle.ok()) {
      o.error = handle.status().message();
      seen.push_back(std::move(o));
      continue;
    }
    auto state = ReadServerState(**handle);
    if (state.ok()) {
      o.state = std::move(state).value();
    } else {
      o.error = state.status().message();
    }
    o.fence = ReadFence(**handle);
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
