#include "support/fake_mariadb_operator.h"

#include "platform/registry.h"
#include "support/fake_kube_operators.h"
#include "support/fake_operator_switchover.h"

namespace hasteward::testing {
namespace {

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
    FakeKubeApi& api, const SandboxCluster& sandbox, const std::string& ns) {
  std::unique_ptr<FakeMariaDbOperator> op(new FakeMariaDbOperator(api, ns));
  platform::PlatformOptions where;
  where.name = "local";
  where.inventory_path = sandbox.inventory_path();
  HS_ASSIGN_OR_RETURN(op->local_, platform::OpenPlatform(where));
  HS_ASSIGN_OR_RETURN(op->cluster_,
                      op->local_->FindCluster(sandbox.cluster().ns, sandbox.cluster().name));
  op->sets_thread_ = std::thread([raw = op.get()] { raw->WatchStatefulSet(); });
  op->pods_thread_ = std::thread([raw = op.get()] { raw->WatchPods(); });
  op->primary_thread_ = std::thread([raw = op.get()] { raw->WatchPrimary(); });
  return op;
}

FakeMariaDbOperator::~FakeMariaDbOperator() {
  stop_ = true;
  api_.store().WakeAll();
  for (std::thread* t : {&sets_thread_, &pods_thread_, &primary_thread_}) {
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

bool FakeMariaDbOperator::PodExists(const std::string& name) const {
  return api_.store().Get(*api_.FindResource("", "pods"), ns_, name).code == 200;
}

void FakeMariaDbOperator::WatchStatefulSet() {
  FakeKubeStore::WatchOptions options;
  options.selectors.field = "metadata.name=" + cluster_.name;
  options.deadline = std::chrono::steady_clock::now() + std::chrono::hours(24);
  api_.store().Watch(
      *api_.FindResource("apps", "statefulsets"), ns_, options,
      [this](const FakeWatchEvent& event) {
        if (event.type != "ADDED" && event.type != "MODIFIED") {
          return !stop_;
        }
        std::lock_guard lock(mu_);
        // mariadb-operator: an unsuspended MariaDB gets its declared size back.
        FakeKubeReply cr =
            api_.store().Get(*api_.FindResource("k8s.mariadb.com", "mariadbs"), ns_, cluster_.name);
        const int declared = cr.body.value("/spec/replicas"_json_pointer, 1);
        if (cr.code == 200 && !cr.body.value("/spec/suspend"_json_pointer, false) &&
            event.object.value("/spec/replicas"_json_pointer, 1) != declared) {
          api_.store().Patch(*api_.FindResource("apps", "statefulsets"), ns_, cluster_.name,
                             FakePatchType::kMerge, {{"spec", {{"replicas", declared}}}}, false);
          return !stop_;  // its MODIFIED event reconciles the pods
        }
        Reconcile(event.object);
        return !stop_;
      },
      [this] { return stop_.load(); });
}

void FakeMariaDbOperator::WatchPrimary() {
  FakeKubeStore::WatchOptions options;
  options.selectors.field = "metadata.name=" + cluster_.name;
  options.deadline = std::chrono::steady_clock::now() + std::chrono::hours(24);
  api_.store().Watch(
      *api_.FindResource("k8s.mariadb.com", "mariadbs"), ns_, options,
      [this](const FakeWatchEvent& event) {
        if (event.type == "ADDED" || event.type == "MODIFIED") {
          std::lock_guard lock(mu_);
          SwitchOver(event.object);
        }
        return !stop_;
      },
      [this] { return stop_.load(); });
}

void FakeMariaDbOperator::SwitchOver(const json& mariadb) {
  const int count = static_cast<int>(cluster_.instances.size());
  const int current = mariadb.value("/status/currentPrimaryPodIndex"_json_pointer, 0);
  const int asked = mariadb.value("/spec/replication/primary/podIndex"_json_pointer, current);
  if (cluster_.engine != platform::EngineKind::kMariadb || asked == current || asked < 0 ||
      asked >= count || current < 0 || current >= count) {
    return;
  }
  core::Status switched = SwitchMariaDbPrimary(cluster_, current, asked, mode_);
  Fail("switchover to " + PodName(asked), switched);
  if (switched.ok()) {
    api_.store().Patch(
        *api_.FindResource("k8s.mariadb.com", "mariadbs"), ns_, cluster_.name,
        FakePatchType::kMerge,
        {{"status", {{"currentPrimaryPodIndex", asked}, {"currentPrimary", PodName(asked)}}}},
        /*status_only=*/true);
  }
}

void FakeMariaDbOperator::Reconcile(const json& statefulset) {
  const FakeKubeResource& pods = *api_.FindResource("", "pods");
  const int desired = statefulset.value("/spec/replicas"_json_pointer, 1);
  const int count = static_cast<int>(cluster_.instances.size());
  for (int ordinal = count - 1; ordinal >= desired && ordinal >= 0; --ordinal) {
    if (!PodExists(PodName(ordinal))) {
      continue;
    }
    held_.erase(ordinal);
    blocked_.erase(ordinal);
    Fail(PodName(ordinal), local_->StopInstance(cluster_, cluster_.instances[ordinal]));
    api_.store().Delete(pods, ns_, PodName(ordinal), json());
  }
  for (int ordinal = 0; ordinal < desired && ordinal < count; ++ordinal) {
    if (PodExists(PodName(ordinal))) {
      continue;
    }
    json pod = OperatorPod(ns_, PodName(ordinal), {{"app.kubernetes.io/instance", cluster_.name}},
                           "mariadb", "", cluster_.instances[ordinal].port);
    pod["status"]["containerStatuses"][0]["ready"] = false;
    Fail(PodName(ordinal), api_.CreateForTest(pod).status());
    if (ClaimHeld(ordinal)) {
      blocked_.insert(ordinal);  // its volume is attached to the helper until that is gone
    } else if (hold_) {
      held_.insert(ordinal);
    } else {
      StartServer(ordinal);
    }
  }
  AdmitHelpers();
}

void FakeMariaDbOperator::StartServer(int ordinal) {
  core::Status started = local_->StartInstance(cluster_, cluster_.instances[ordinal]);
  Fail(PodName(ordinal), started);
  if (started.ok()) {
    json ready = {
        {"status",
         {{"containerStatuses",
           {{{"name", "mariadb"}, {"ready", true}, {"state", {{"running", json::object()}}}}}}}}};
    api_.store().Patch(*api_.FindResource("", "pods"), ns_, PodName(ordinal), FakePatchType::kMerge,
                       ready, /*status_only=*/true);
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

void FakeMariaDbOperator::WatchPods() {
  FakeKubeStore::WatchOptions options;
  options.deadline = std::chrono::steady_clock::now() + std::chrono::hours(24);
  api_.store().Watch(
      *api_.FindResource("", "pods"), ns_, options,
      [this](const FakeWatchEvent& event) {
        std::lock_guard lock(mu_);
        const std::string claim = ClaimOf(event.object).first;
        const std::string name = event.object.value("/metadata/name"_json_pointer, std::string());
        if (event.type == "ADDED" && claim.rfind(kClaimPrefix + cluster_.name + "-", 0) == 0) {
          pending_.insert(name);
        }
        if (event.type == "DELETED" && mounting_.erase(name) > 0) {
          StartFreed();
        }
        AdmitHelpers();
        return !stop_;
      },
      [this] { return stop_.load(); });
}

void FakeMariaDbOperator::AdmitHelpers() {
  const FakeKubeResource& pods = *api_.FindResource("", "pods");
  for (auto it = pending_.begin(); it != pending_.end();) {
    FakeKubeReply helper = api_.store().Get(pods, ns_, *it);
    const auto [claim, mount] = ClaimOf(helper.body);
    const std::string node = claim.substr(std::string(kClaimPrefix).size());
    if (helper.code == 200 && PodExists(node)) {
      ++it;  // ReadWriteOnce: attached to the node's own pod until it is gone
      continue;
    }
    for (const auto& instance : cluster_.instances) {
      if (helper.code == 200 && PodName(instance.ordinal) == node) {
        auto executor = SandboxPodExecutor(instance, mount);
        Fail(*it, executor.status());
        if (executor.ok()) {
          api_.SetPodExecutor(ns_, *it, std::move(executor).value());
        }
        api_.store().Patch(pods, ns_, *it, FakePatchType::kMerge,
                           {{"status", {{"phase", "Running"}, {"podIP", "127.0.0.1"}}}},
                           /*status_only=*/true);
        mounting_[*it] = instance.ordinal;
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
