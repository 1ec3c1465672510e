#include "support/fake_mariadb_operator.h"

#include "platform/registry.h"
#include "support/fake_kube_operators.h"
#include "support/fake_operator_switchover.h"

namespace hasteward::testing {
namespace {

namespace k8s = platform::kubernetes;
using nlohmann::json;

// mariadb-operator's StatefulSet mounts volume claim template "storage" at the data directory.
constexpr char kClaimPrefix[] = "storage-";

// The claim and mount path of a pod's first persistentVolumeClaim volume ("" when none).
std::pair<std::string, std::string> ClaimOf(const json& pod) {
  const json spec = pod.value("spec", json::object());
  for (const auto& volume : spec.value("volumes", json::array())) {
    std::string claim =
        volume.value("/persistentVolumeClaim/claimName"_json_pointer, std::string());
    if (claim.empty()) {
      continue;
    }
    for (const auto& container : spec.value("containers", json::array())) {
      for (const auto& mount : container.value("volumeMounts", json::array())) {
        if (mount.value("name", "") == volume.value("name", "")) {
          return {claim, mount.value("mountPath", "")};
        }
      }
    }
  }
  return {};
}

}  // namespace

core::Result<std::unique_ptr<FakeMariaDbOperator>> FakeMariaDbOperator::Start(
    RealKubeNode& node, const SandboxCluster& sandbox, const std::string& ns) {
  std::unique_ptr<FakeMariaDbOperator> op(new FakeMariaDbOperator(node, ns));
  platform::PlatformOptions where;
  where.name = "local";
  where.inventory_path = sandbox.inventory_path();
  HS_ASSIGN_OR_RETURN(op->local_, platform::OpenPlatform(where));
  HS_ASSIGN_OR_RETURN(op->cluster_,
                      op->local_->FindCluster(sandbox.cluster().ns, sandbox.cluster().name));
  const k8s::ListOptions this_one{.field_selector = "metadata.name=" + op->cluster_.name};
  op->sets_watch_ = std::make_unique<k8s::ResourceWatch>(
      node.admin(), k8s::resources::kStatefulSets, ns, this_one);
  op->primary_watch_ =
      std::make_unique<k8s::ResourceWatch>(node.admin(), k8s::resources::kMariaDbs, ns, this_one);
  FakeMariaDbOperator* raw = op.get();
  node.SetPodHooks({.unscheduled = [raw](const json& pod) { raw->OnUnscheduledPod(pod); },
                    .terminating = [raw](const json& pod) { raw->OnTerminatingPod(pod); },
                    .deleted =
                        [raw](const json& pod) {
                          raw->OnDeletedPod(pod);
                        }});
  op->sets_thread_ = std::thread([raw] { raw->WatchStatefulSet(); });
  op->primary_thread_ = std::thread([raw] { raw->WatchPrimary(); });
  return op;
}

FakeMariaDbOperator::~FakeMariaDbOperator() {
  node_.SetPodHooks({});
  stop_ = true;
  sets_watch_->Stop();
  primary_watch_->Stop();
  for (std::thread* t : {&sets_thread_, &primary_thread_}) {
    if (t->joinable()) {
      t->join();
    }
  }
}

std::string FakeMariaDbOperator::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void FakeMariaDbOperator::Fail(const std::string& what, const core::Status& status) {
  if (!status.ok()) {
    last_error_ = what + ": " + status.ToString();
  }
}

std::string FakeMariaDbOperator::PodName(int ordinal) const {
  return cluster_.name + "-" + std::to_string(ordinal);
}

int FakeMariaDbOperator::OrdinalOf(const std::string& pod) const {
  for (const auto& instance : cluster_.instances) {
    if (PodName(instance.ordinal) == pod) {
      return instance.ordinal;
    }
  }
  return -1;
}

bool FakeMariaDbOperator::PodExists(const std::string& name) const {
  return node_.admin().Get(k8s::resources::kPods, ns_, name).ok();
}

void FakeMariaDbOperator::WatchStatefulSet() {
  RunWatchLoop(*sets_watch_, stop_, [this](const json& statefulset, bool deleted) {
    if (!deleted) {
      OnStatefulSet(statefulset);
    }
  });
}

void FakeMariaDbOperator::OnStatefulSet(const json& statefulset) {
  std::lock_guard lock(mu_);
  // mariadb-operator: an unsuspended MariaDB gets its declared size back.
  auto cr = node_.admin().Get(k8s::resources::kMariaDbs, ns_, cluster_.name);
  const int declared = cr.ok() ? cr->value("/spec/replicas"_json_pointer, 1) : 1;
  if (cr.ok() && !cr->value("/spec/suspend"_json_pointer, false) &&
      statefulset.value("/spec/replicas"_json_pointer, 1) != declared) {
    Fail(cluster_.name, node_.admin()
                            .Patch(k8s::resources::kStatefulSets, ns_, cluster_.name,
                                   k8s::PatchType::kMerge, {{"spec", {{"replicas", declared}}}})
                            .status());
    return;  // its MODIFIED event reconciles the pods
  }
  Reconcile(statefulset);
}

void FakeMariaDbOperator::WatchPrimary() {
  RunWatchLoop(*primary_watch_, stop_, [this](const json& mariadb, bool deleted) {
    if (!deleted) {
      std::lock_guard lock(mu_);
      SwitchOver(mariadb);
    }
  });
}

void FakeMariaDbOperator::SwitchOver(const json& mariadb) {
  const int count = static_cast<int>(cluster_.instances.size());
  const int current = mariadb.value("/status/currentPrimaryPodIndex"_json_pointer, 0);
  const int asked = mariadb.value("/spec/replication/primary/podIndex"_json_pointer, current);
  if (cluster_.engine != platform::EngineKind::kMariadb || asked == current || asked < 0 ||
      asked >= count || current < 0 || current >= count) {
    return;
  }
  // As the real operator, through its root account (rootPasswordSecretKeyRef: the sandbox's
  // admin password, real_kube_operators.cpp), not the sandbox's admin: HASteward's fence before
  // the request spares that account only.
  platform::Cluster as_operator = cluster_;
  as_operator.credentials.user = "root";
  core::Status switched = SwitchMariaDbPrimary(as_operator, current, asked, mode_);
  Fail("switchover to " + PodName(asked), switched);
  if (switched.ok()) {
    Fail(cluster_.name,
         node_.admin()
             .Patch(k8s::resources::kMariaDbs, ns_, cluster_.name, k8s::PatchType::kMerge,
                    {{"status",
                      {{"currentPrimaryPodIndex", asked}, {"currentPrimary", PodName(asked)}}}},
                    "status")
             .status());
  }
}

void FakeMariaDbOperator::Reconcile(const json& statefulset) {
  const int desired = statefulset.value("/spec/replicas"_json_pointer, 1);
  const int count = static_cast<int>(cluster_.instances.size());
  // Highest ordinal first; the kubelet stops each server before the pod is gone
  // (OnTerminatingPod).
  for (int ordinal = count - 1; ordinal >= desired && ordinal >= 0; --ordinal) {
    if (PodExists(PodName(ordinal))) {
      held_.erase(ordinal);
      blocked_.erase(ordinal);
      Fail(PodName(ordinal), node_.admin().Delete(k8s::resources::kPods, ns_, PodName(ordinal)));
    }
  }
  for (int ordinal = 0; ordinal < desired && ordinal < count; ++ordinal) {
    if (!PodExists(PodName(ordinal))) {
      CreatePod(ordinal);
    }
  }
  AdmitHelpers();
}

void FakeMariaDbOperator::CreatePod(int ordinal) {
  const auto& instance = cluster_.instances[ordinal];
  json pod = OperatorPod(ns_, PodName(ordinal), {{"app.kubernetes.io/instance", cluster_.name}},
                         "mariadb", "", instance.port);
  pod["spec"]["containers"][0]["image"] = "docker-registry1.mariadb.com/library/mariadb:10.11";
  pod["spec"]["containers"][0]["volumeMounts"] = {
      {{"name", "storage"}, {"mountPath", kMariaDbPodDataDir}}};
  pod["spec"]["volumes"] = {
      {{"name", "storage"},
       {"persistentVolumeClaim", {{"claimName", kClaimPrefix + PodName(ordinal)}}}}};
  auto executor = SandboxPodExecutor(instance, kMariaDbPodDataDir);
  Fail(PodName(ordinal), executor.status());
  if (!executor.ok()) {
    return;
  }
  // The resource's port (spec.port: ordinal 0's, tests/support/real_kube_operators.cpp) reaches
  // this pod's own server, as in a real pod's network namespace.
  node_.agent().SetPodPortAlias(ns_, PodName(ordinal), cluster_.instances.front().port,
                                instance.port);
  // Running but not ready until its server accepts connections.
  Fail(PodName(ordinal),
       node_.CreatePod(pod, std::move(executor).value(), /*ready=*/false).status());
  if (ClaimHeld(ordinal)) {
    blocked_.insert(ordinal);  // its volume is attached to the helper until that is gone
  } else if (hold_) {
    held_.insert(ordinal);
  } else {
    StartServer(ordinal);
  }
}

void FakeMariaDbOperator::StartServer(int ordinal) {
  core::Status started = local_->StartInstance(cluster_, cluster_.instances[ordinal]);
  Fail(PodName(ordinal), started);
  if (started.ok()) {
    Fail(PodName(ordinal), node_.SetReady(ns_, PodName(ordinal), true));
  }
}

void FakeMariaDbOperator::HoldServerStartsForTest(bool hold) {
  std::lock_guard lock(mu_);
  hold_ = hold;
  if (hold) {
    return;
  }
  for (int ordinal : held_) {
    if (PodExists(PodName(ordinal))) {
      StartServer(ordinal);
    }
  }
  held_.clear();
}

void FakeMariaDbOperator::OnUnscheduledPod(const json& pod) {
  std::lock_guard lock(mu_);
  const std::string claim = ClaimOf(pod).first;
  const std::string name = pod.value("/metadata/name"_json_pointer, std::string());
  if (OrdinalOf(name) < 0 && mounting_.count(name) == 0 &&
      claim.rfind(kClaimPrefix + cluster_.name + "-", 0) == 0) {
    pending_.insert(name);
  }
  AdmitHelpers();
}

void FakeMariaDbOperator::OnTerminatingPod(const json& pod) {
  std::lock_guard lock(mu_);
  // The kubelet's SIGTERM to the server container.
  const int ordinal = OrdinalOf(pod.value("/metadata/name"_json_pointer, std::string()));
  if (ordinal >= 0) {
    Fail(PodName(ordinal), local_->StopInstance(cluster_, cluster_.instances[ordinal]));
  }
}

void FakeMariaDbOperator::OnDeletedPod(const json& pod) {
  std::lock_guard lock(mu_);
  const std::string name = pod.value("/metadata/name"_json_pointer, std::string());
  if (mounting_.erase(name) > 0) {
    StartFreed();
  }
  if (OrdinalOf(name) >= 0) {
    // The StatefulSet controller re-creates a pod of its size that went away.
    auto statefulset = node_.admin().Get(k8s::resources::kStatefulSets, ns_, cluster_.name);
    if (statefulset.ok()) {
      Reconcile(*statefulset);
      return;
    }
  }
  AdmitHelpers();
}

void FakeMariaDbOperator::AdmitHelpers() {
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto helper = node_.admin().Get(k8s::resources::kPods, ns_, *it);
    const auto [claim, mount] =
        helper.ok() ? ClaimOf(*helper) : std::pair<std::string, std::string>();
    const std::string node_pod =
        claim.substr(std::min(claim.size(), std::string(kClaimPrefix).size()));
    if (helper.ok() && PodExists(node_pod)) {
      ++it;  // ReadWriteOnce: attached to the node's own pod until it is gone
      continue;
    }
    const int ordinal = OrdinalOf(node_pod);
    if (helper.ok() && ordinal >= 0) {
      auto executor = SandboxPodExecutor(cluster_.instances[ordinal], mount);
      Fail(*it, executor.status());
      if (executor.ok()) {
        Fail(*it, node_.RunPod(ns_, *it, std::move(executor).value(), /*ready=*/true));
        mounting_[*it] = ordinal;
      }
    }
    it = pending_.erase(it);
  }
}

bool FakeMariaDbOperator::ClaimHeld(int ordinal) const {
  for (const auto& [helper, mounted] : mounting_) {
    if (mounted == ordinal && PodExists(helper)) {
      return true;
    }
  }
  return false;
}

void FakeMariaDbOperator::StartFreed() {
  for (auto it = blocked_.begin(); it != blocked_.end();) {
    if (ClaimHeld(*it)) {
      ++it;
      continue;
    }
    if (PodExists(PodName(*it))) {
      if (hold_) {
        held_.insert(*it);
      } else {
        StartServer(*it);
      }
    }
    it = blocked_.erase(it);
  }
}

}  // namespace hasteward::testing
