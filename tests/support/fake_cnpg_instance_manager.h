// FakeCnpgInstanceManager: what CloudNativePG's instance manager (PID 1 of every instance pod)
// and operator do about fencing and switchovers, for a sandbox cluster published with
// PublishSandboxAsCnpg on a real kube-apiserver (real_kube_operators.h). A controller watching the
// real server, emulating the pinned release (cloudnative-pg v1.30.0; docs "Fencing"):
//   - fencing copies internal/management/controller/instance_controller.go (reconcileFencing)
//     and pkg/utils/fencing.go (GetFencedInstances);
//   - the switchover copies internal/controller/cluster_controller.go (handleSwitchover) and
//     internal/controller/replicas.go (reconcileTargetPrimaryFromPods).
//   - a pod named in the Cluster's cnpg.io/fencedInstances annotation (a JSON list of pod names,
//     or ["*"] for every pod) has its PostgreSQL stopped (the sandbox instance is stopped) and
//     kept down; the pod stays Running and exec still works (the data directory is reachable),
//     only its container's readiness drops (ready=false), as the failing readiness probe shows;
//   - once the name leaves the annotation, PostgreSQL is started again (whatever data directory
//     is there now) and the container turns ready when it accepts connections.
//   - a switchover (status.targetPrimary naming another pod than status.currentPrimary, what
//     `kubectl cnpg promote` writes): the old primary's PostgreSQL is shut down, the target
//     promoted, the old primary restarted as a standby of the target
//     (fake_operator_switchover.h); then the pods' cnpg.io/instanceRole labels and
//     status.currentPrimary name the new primary.
// Not emulated: the operator re-creating deleted pods or PVCs, failovers, and anything else the
// instance manager does. Watches the Cluster through the real API server, so it reacts to
// every writer (HASteward's patch, an admin's annotate) like the real one.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "core/status.h"
#include "platform/kubernetes/kube_watch.h"
#include "platform/platform.h"
#include "support/fake_operator_switchover.h"
#include "support/real_kube_node.h"
#include "support/sandbox_cluster.h"

namespace hasteward::testing {

class FakeCnpgInstanceManager {
 public:
  // Starts managing the pods of `sandbox` (published as CNPG Cluster sandbox.cluster().name in
  // `ns`); both must outlive this object.
  static core::Result<std::unique_ptr<FakeCnpgInstanceManager>> Start(RealKubeNode& node,
                                                                      const SandboxCluster& sandbox,
                                                                      const std::string& ns);
  ~FakeCnpgInstanceManager();
  FakeCnpgInstanceManager(const FakeCnpgInstanceManager&) = delete;
  FakeCnpgInstanceManager& operator=(const FakeCnpgInstanceManager&) = delete;

  // How later switchovers are done (fake_operator_switchover.h).
  void SetSwitchoverModeForTest(FakeSwitchoverMode mode) { mode_ = mode; }
  // The last error acting on a fence ("" when none), for test messages.
  std::string last_error() const;

 private:
  FakeCnpgInstanceManager(RealKubeNode& node, std::string ns) : node_(node), ns_(std::move(ns)) {}
  void Run();
  void Apply(const nlohmann::json& cluster_cr);
  void SwitchOver(const nlohmann::json& cluster_cr);
  int OrdinalOf(const std::string& pod) const;  // -1 for another name
  // Appends the instance's port, address, socket and name to its postgresql.conf, as the real
  // instance manager writes its configuration before a start.
  core::Status WriteOwnSettings(const platform::Instance& instance) const;
  core::Status SetReady(const std::string& pod, bool ready);
  void Record(const std::string& what, const core::Status& status);

  RealKubeNode& node_;
  std::string ns_;
  std::unique_ptr<platform::kubernetes::ResourceWatch> watch_;
  std::unique_ptr<platform::Platform> local_;  // the sandbox's own platform: stop/start
  platform::Cluster cluster_;
  std::set<std::string> stopped_;  // pods whose PostgreSQL this manager stopped
  std::atomic<FakeSwitchoverMode> mode_{FakeSwitchoverMode::kAsTheOperator};
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace hasteward::testing
