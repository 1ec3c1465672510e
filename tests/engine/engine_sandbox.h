#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "platform/registry.h"
#include "support/sandbox_cluster.h"

namespace hasteward::engine {

// A real sandbox cluster (tests/support SandboxCluster: torn down on destruction) plus a
// local platform (from the registry) opened on its private inventory, which is what the engines are
// given.
class EngineSandbox {
 public:
  static core::Result<std::unique_ptr<EngineSandbox>> Up(platform::EngineKind engine, int instances,
                                                         const std::string& name) {
    testing::SandboxCluster::Options o;
    o.engine = engine;
    o.instances = instances;
    o.name = name;
    HS_ASSIGN_OR_RETURN(auto cluster, testing::SandboxCluster::Create(o));
    std::unique_ptr<EngineSandbox> s(new EngineSandbox());
    platform::PlatformOptions where;
    where.inventory_path = cluster->inventory_path();
    HS_ASSIGN_OR_RETURN(s->platform_, platform::OpenPlatform(where));
    s->sandbox_ = std::move(cluster);
    return s;
  }
  platform::Platform& platform() { return *platform_; }
  const platform::Cluster& cluster() const { return sandbox_->cluster(); }

 private:
  EngineSandbox() = default;
  std::unique_ptr<testing::SandboxCluster> sandbox_;
  std::unique_ptr<platform::Platform> platform_;
};

}  // namespace hasteward::engine
