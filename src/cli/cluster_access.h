#pragma once

#include <memory>

#include "cli/cli.h"
#include "engine/cluster_handle.h"
#include "platform/platform.h"

namespace hasteward::cli {

// The platform, cluster and engine named by -e/-c/-n and --inventory. kUsage when -c is missing;
// kNotFound (listing known clusters) when the cluster is unknown; kUsage when -e contradicts the
// inventory's engine.
struct ClusterContext {
  std::unique_ptr<platform::Platform> platform;  // owned here; `target` refers to it
  engine::ClusterHandle target;
};

core::Result<ClusterContext> OpenCluster(const GlobalOptions& g);

// The platform named by --platform / HASTEWARD_PLATFORM (default local), opened with --inventory.
// kUsage naming the known platforms when the name is unknown.
core::Result<std::unique_ptr<platform::Platform>> OpenPlatform(const GlobalOptions& g);

}  // namespace hasteward::cli
