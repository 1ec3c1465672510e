// An instance that is a pod of an operator-owned cluster: commands run in its database container
// through pod exec; the operator owns the server's lifecycle, so Start/Stop/Fence answer
// Unsupported naming the operator, and its files are not on this machine.
#pragma once

#include <memory>
#include <string>

#include "platform/instance_handle.h"
#include "platform/kubernetes/kube_client.h"

namespace hasteward::platform::kubernetes {

class PodInstance : public InstanceHandle {
 public:
  PodInstance(std::shared_ptr<const KubeClient> client, Cluster cluster, Instance instance);

  Capabilities capabilities() const override { return {Capability::kOperatorOwnsLifecycle}; }
  Endpoint endpoint() const override;
  // Runs options.argv in the pod's database container (env_set through `env`; stdio piped or
  // discarded). The pod's exit status is the process's.
  core::Result<std::unique_ptr<core::Subprocess>> Exec(core::SubprocessOptions options) override;
  core::Result<std::string> ReadDataFile(const std::string& relative_path) override;
  core::Status WriteDataFile(const std::string& relative_path, const std::string& content,
                             unsigned mode) override;
  core::Status Start(std::chrono::milliseconds timeout) override;
  core::Status StartNewCluster(std::chrono::milliseconds timeout) override;
  core::Status Stop(std::chrono::milliseconds timeout) override;
  core::Status Fence(std::chrono::milliseconds timeout) override;
  // The pod is Running and its database container is running.
  core::Result<bool> IsRunning() override;

 private:
  core::Status Unsupported(const std::string& what) const;
  std::string pod() const;
  std::string container() const;
  std::shared_ptr<const KubeClient> client_;
};

}  // namespace hasteward::platform::kubernetes
