#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>

#include "core/status.h"
#include "core/temp_dir.h"
#include "platform/local/local_platform.h"
#include "platform/sandbox/sandbox.h"

namespace hasteward::engine {

// RAII over a real sandbox cluster for the engine tests: `sandbox up` into a private state
// directory and inventory, `sandbox down` on destruction. TODO(#3): replace with
// tests/support/SandboxCluster once it lands.
class EngineSandbox {
 public:
  static core::Result<std::unique_ptr<EngineSandbox>> Up(platform::EngineKind engine, int instances,
                                                         const std::string& name) {
    HS_ASSIGN_OR_RETURN(core::TempDir dir, core::TempDir::Create("hs-engine-test-"));
    ::chmod(dir.path().c_str(), 0755);  // the postgres OS user must reach its data directories
    std::unique_ptr<EngineSandbox> s(new EngineSandbox(std::move(dir)));
    platform::sandbox::SandboxSpec spec;
    spec.name = name;
    spec.engine = engine;
    spec.instances = instances;
    spec.state_dir = s->dir_.path() + "/state";
    spec.inventory_path = s->dir_.path() + "/inventory.yaml";
    s->inventory_ = spec.inventory_path;
    s->name_ = name;
    HS_ASSIGN_OR_RETURN(s->cluster_, platform::sandbox::Up(spec));
    s->up_ = true;
    HS_ASSIGN_OR_RETURN(s->platform_, platform::LocalPlatform::Open(spec.inventory_path));
    return s;
  }
  ~EngineSandbox() {
    if (up_) {
      (void)platform::sandbox::Down(inventory_, "default", name_);
    }
  }
  platform::Platform& platform() { return *platform_; }
  const platform::Cluster& cluster() const { return cluster_; }
  const std::string& dir() const { return dir_.path(); }

 private:
  explicit EngineSandbox(core::TempDir dir) : dir_(std::move(dir)) {}
  core::TempDir dir_;
  std::string inventory_;
  std::string name_;
  bool up_ = false;
  platform::Cluster cluster_;
  std::unique_ptr<platform::LocalPlatform> platform_;
};

}  // namespace hasteward::engine
