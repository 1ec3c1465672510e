// An instance that is a pod of an operator-owned cluster: commands run in its database container
// through pod exec, and its files are not on this machine. The operator owns the server's
// lifecycle: a CloudNativePG instance is stopped and kept down by fencing it through the operator
// (cnpg_fencing.h). mariadb-operator has no such control (mariadbd is the container's process and
// the kubelet restarts it): a server stays down only while its pod is gone, so Stop/Fence suspend
// the MariaDB and scale its StatefulSet below the pod (mariadb_scaling.h), Start scales it back,
// and while the pod is gone, Exec runs in a helper pod mounting its data volume
// (heal_helper_pod.h).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "platform/instance_handle.h"
#include "platform/kubernetes/instance_route.h"
#include "platform/kubernetes/kube_client.h"

namespace hasteward::platform::kubernetes {

class PodInstance : public InstanceHandle {
 public:
  // `route` routed the cluster and instance (their host/port may be its port-forwards); held so
  // those live as long as the handle.
  PodInstance(std::shared_ptr<const KubeClient> client, Cluster cluster, Instance instance,
              std::shared_ptr<InstanceRoute> route);

  // operator-owns-lifecycle; plus can-start-stop for CloudNativePG (through its fencing) and
  // mariadb-operator (through StatefulSet scaling).
  Capabilities capabilities() const override;
  Endpoint endpoint() const override;
  // Runs options.argv in the pod's database container (env_set through `env`; stdio piped or
  // discarded). The pod's exit status is the process's. A mariadb-operator pod scaled away by
  // Stop is reached through its helper pod (created on first use, removed by Start).
  core::Result<std::unique_ptr<core::Subprocess>> Exec(core::SubprocessOptions options) override;
  // Inside the data directory, as plain files `hasteward-kept-<stamp>-<file name>`: the volume
  // mounted there is the only storage that outlives the pod (and the helper pod).
  KeptCopies KeptCopiesOf(const std::string& stamp) const override;
  core::Result<std::string> ReadDataFile(const std::string& relative_path) override;
  core::Status WriteDataFile(const std::string& relative_path, const std::string& content,
                             unsigned mode) override;
  // CloudNativePG: unfences the pod and waits until its container is ready (PostgreSQL accepts
  // connections). mariadb-operator: removes the helper pod, scales the StatefulSet back, resumes
  // the MariaDB (when HASteward suspended it) and waits until the pod runs; its readiness (a
  // Galera joiner's state transfer) is the caller's wait.
  core::Status Start(std::chrono::milliseconds timeout) override;
  core::Status StartNewCluster(std::chrono::milliseconds timeout) override;
  // CloudNativePG: the same as Fence, the only stop its instance manager does not undo.
  core::Status Stop(std::chrono::milliseconds timeout) override;
  // CloudNativePG: fences the pod and waits until PostgreSQL is down (kTimeout after `timeout`).
  // mariadb-operator: suspends the MariaDB and scales its StatefulSet down to the pod's ordinal
  // (higher ordinals stop too; kUsage for ordinal 0) and waits until the pod is gone.
  core::Status Fence(std::chrono::milliseconds timeout) override;
  // The pod is Running and its database container is running; for CloudNativePG also not a
  // fenced pod whose readiness dropped (its PostgreSQL was stopped by the instance manager).
  core::Result<bool> IsRunning() override;

 private:
  struct PodState {
    bool container_running = false;
    bool ready = false;
  };
  // Whether this pod's lifecycle goes through CloudNativePG's fencing (a CNPG cluster's pod).
  bool UsesCnpgFencing() const;
  // Whether it goes through StatefulSet scaling (a mariadb-operator cluster's pod).
  bool UsesStatefulSetScaling() const;
  // The running helper pod that mounts this scaled-away pod's data volume (created when absent;
  // its start waits at most exec_start_timeout()).
  core::Result<std::string> HelperPod() const;
  // The database container's state from the pod object.
  core::Result<PodState> ReadPodState() const;
  // Whether the Cluster's fencing annotation names this pod (or "*").
  core::Result<bool> InFenceList() const;
  // Polls `probe` until it holds; kTimeout naming `what` after `timeout`.
  core::Status WaitForPod(const std::string& what, std::chrono::milliseconds timeout,
                          const std::function<core::Result<bool>()>& probe) const;
  core::Status Unsupported(const std::string& what) const;
  std::string pod() const;
  std::string container() const;
  std::shared_ptr<const KubeClient> client_;
  std::shared_ptr<InstanceRoute> route_;
};

}  // namespace hasteward::platform::kubernetes
