// FakeMariaDbOperator: what the StatefulSet controller, the scheduler, the kubelet and
// mariadb-operator do with the pods of a sandbox cluster published with PublishSandboxAsMariaDb on
// a real kube-apiserver (real_kube_operators.h), as far as HASteward's heal through the API
// depends on it. Controllers watching the real server (the node's kubelet hooks for pods),
// emulating the pinned releases: Kubernetes v1.36.3 pkg/controller/statefulset/
// stateful_set_control.go (ordinals down, then up), pkg/kubelet/status/status_manager.go (the
// deletion confirmed once the containers stopped); mariadb-operator v25.10.4
// internal/controller/mariadb_controller.go (reconcileStatefulSet: replicas from the MariaDB;
// reconcileSuspend) and pkg/controller/replication/switchover.go:
//   - StatefulSet controller: lowering spec.replicas removes pods from the highest ordinal down
//     (each pod's server is stopped, as the kubelet's SIGTERM does, then its object deleted);
//     raising it re-creates them from the lowest up (the object at once, Running but not ready;
//     then the server starts with its join command and the container turns ready);
//   - kubelet: a pod that mounts a node's volume claim (storage-<pod>) runs once that node's pod
//     is gone (the claim is ReadWriteOnce: until then it stays Pending, as an attachable volume
//     on another node would; the real kubelet on the node of a local volume runs both at once,
//     watched on the real node: HASteward waits for the pod to be gone itself); its exec sees the
//     node's data directory at the pod's mount path; and the other way round, a node's pod
//     re-created while such a helper pod still mounts its claim gets no server until the helper is
//     gone. Not honest about one thing: exec maps every path that starts with the mount path onto
//     the node's local data directory, also a sibling such as /var/lib/mysql.hasteward-restore,
//     which on a real node is beside the mount, on the container's own filesystem;
//   - mariadb-operator: unless the MariaDB's spec.suspend is true, it sets the StatefulSet's
//     replicas back to the MariaDB's spec.replicas (so a scale-down without a suspend is undone,
//     as the real operator's reconciliation undoes it).
//   - mariadb-operator's switchover of a replication cluster: spec.replication.primary.podIndex
//     other than status.currentPrimaryPodIndex makes the old primary read-only, promotes the
//     asked pod once it caught up, points the old primary at it (fake_operator_switchover.h), then
//     sets status.currentPrimaryPodIndex and status.currentPrimary.
// Not emulated: rolling updates, the operator's Galera recovery, PVC deletion, failovers. Watches
// through the real API server, so it reacts to every writer like the real controllers.
#pragma once

#include <atomic>
#include <map>
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

class FakeMariaDbOperator {
 public:
  // Starts managing the pods of `sandbox` (published as MariaDB sandbox.cluster().name in `ns`);
  // both must outlive this object.
  static core::Result<std::unique_ptr<FakeMariaDbOperator>> Start(RealKubeNode& node,
                                                                  const SandboxCluster& sandbox,
                                                                  const std::string& ns);
  ~FakeMariaDbOperator();
  FakeMariaDbOperator(const FakeMariaDbOperator&) = delete;
  FakeMariaDbOperator& operator=(const FakeMariaDbOperator&) = delete;

  // While held, re-created pods run but their server never starts (as a pod stuck in its init
  // container); releasing starts the held ones.
  void HoldServerStartsForTest(bool hold);
  // How later switchovers are done (fake_operator_switchover.h).
  void SetSwitchoverModeForTest(FakeSwitchoverMode mode) { mode_ = mode; }
  // The last error acting on a pod ("" when none), for test messages.
  std::string last_error() const;

 private:
  FakeMariaDbOperator(RealKubeNode& node, std::string ns) : node_(node), ns_(std::move(ns)) {}
  void WatchStatefulSet();
  void WatchPrimary();
  void OnStatefulSet(const nlohmann::json& statefulset);
  void OnUnscheduledPod(const nlohmann::json& pod);
  void OnTerminatingPod(const nlohmann::json& pod);
  void OnDeletedPod(const nlohmann::json& pod);
  void SwitchOver(const nlohmann::json& mariadb);     // needs mu_
  void Reconcile(const nlohmann::json& statefulset);  // needs mu_
  void CreatePod(int ordinal);                        // needs mu_
  void StartServer(int ordinal);                      // needs mu_
  void AdmitHelpers();                                // needs mu_
  bool ClaimHeld(int ordinal) const;                  // needs mu_
  void StartFreed();                                  // needs mu_
  bool PodExists(const std::string& name) const;
  int OrdinalOf(const std::string& pod) const;  // -1 for another name
  std::string PodName(int ordinal) const;
  void Fail(const std::string& what, const core::Status& status);  // needs mu_

  RealKubeNode& node_;
  std::string ns_;
  std::unique_ptr<platform::Platform> local_;  // the sandbox's own platform: stop/start
  platform::Cluster cluster_;
  std::set<int> held_;                   // pods re-created while starts were held
  std::set<std::string> pending_;        // helper pods waiting for their volume
  std::map<std::string, int> mounting_;  // admitted helper pod -> the ordinal whose claim it has
  std::set<int> blocked_;                // pods re-created while a helper still had their claim
  bool hold_ = false;
  std::atomic<FakeSwitchoverMode> mode_{FakeSwitchoverMode::kAsTheOperator};
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::string last_error_;
  std::unique_ptr<platform::kubernetes::ResourceWatch> sets_watch_;
  std::unique_ptr<platform::kubernetes::ResourceWatch> primary_watch_;
  std::thread sets_thread_;
  std::thread primary_thread_;
};

}  // namespace hasteward::testing
