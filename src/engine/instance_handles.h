// engine/instance_handles: the instances one engine run reaches, each opened through the platform
// once and kept for the run. Every SQL connection takes its address from a handle's endpoint()
// (never from the inventory's host and port), so a platform that reaches instances another way
// (the kubernetes API server's port-forward) does so behind the handle, and a run that touches
// three instances opens three handles, not one per connection.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::engine {

class InstanceHandles {
 public:
  // The platform and the cluster must outlive the set.
  InstanceHandles(platform::Platform& platform, const platform::Cluster& cluster)
      : platform_(&platform), cluster_(&cluster) {}
  InstanceHandles(const InstanceHandles&) = delete;
  InstanceHandles& operator=(const InstanceHandles&) = delete;
  InstanceHandles(InstanceHandles&&) = default;
  InstanceHandles& operator=(InstanceHandles&&) = default;
  ~InstanceHandles() = default;

  platform::Platform& platform() const { return *platform_; }
  const platform::Cluster& cluster() const { return *cluster_; }

  // The handle of `instance` (by name): opened on first use, the same one afterwards. The
  // pointer stays valid as long as the set. Errors are the platform's OpenInstance's.
  core::Result<platform::InstanceHandle*> Open(const platform::Instance& instance);

  // How many instances are open (tests: one per instance, however often asked).
  size_t size() const { return handles_.size(); }

 private:
  platform::Platform* platform_;
  const platform::Cluster* cluster_;
  std::map<std::string, std::unique_ptr<platform::InstanceHandle>> handles_;
};

}  // namespace hasteward::engine
