#include "engine/cluster_handle.h"

#include <utility>

namespace hasteward::engine {

core::Result<ClusterHandle> ClusterHandle::Open(platform::Platform& platform,
                                                platform::Cluster cluster) {
  HS_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, MakeEngine(cluster.engine));
  return ClusterHandle(platform, std::move(cluster), std::move(engine));
}

ClusterHandle::ClusterHandle(platform::Platform& platform, platform::Cluster cluster,
                             std::unique_ptr<Engine> engine)
    : platform_(&platform), cluster_(std::move(cluster)), engine_(std::move(engine)) {}

}  // namespace hasteward::engine
