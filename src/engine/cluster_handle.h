// engine/cluster_handle: one database cluster as every job above the engine sees it — where it
// runs (the platform), what it is (the cluster: name, namespace, instances) and how it is driven
// (its engine, from the factory). Jobs, verify and the CLI pass this one handle instead of three
// references that must agree; it cannot pair a cluster with another kind's engine.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "engine/engine.h"
#include "platform/platform.h"

namespace hasteward::engine {

class ClusterHandle {
 public:
  // The cluster on `platform` with the engine for its kind (MakeEngine). The platform must outlive
  // the handle.
  static core::Result<ClusterHandle> Open(platform::Platform& platform, platform::Cluster cluster);

  platform::Platform& platform() const { return *platform_; }
  const platform::Cluster& cluster() const { return cluster_; }
  Engine& engine() const { return *engine_; }

  // "<namespace>/<name>", how messages name the cluster.
  std::string QualifiedName() const { return cluster_.ns + "/" + cluster_.name; }

 private:
  ClusterHandle(platform::Platform& platform, platform::Cluster cluster,
                std::unique_ptr<Engine> engine);

  platform::Platform* platform_;
  platform::Cluster cluster_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace hasteward::engine
