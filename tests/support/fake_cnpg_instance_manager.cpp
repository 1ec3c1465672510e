#include "support/fake_cnpg_instance_manager.h"

#include <fstream>

#include "platform/registry.h"
#include "support/fake_operator_switchover.h"

namespace hasteward::testing {
namespace {

namespace k8s = platform::kubernetes;
using nlohmann::json;

constexpr char kFencingAnnotation[] = "cnpg.io/fencedInstances";

// The pods the annotation fences, "*" kept; a malformed value fences nothing (the real instance
// manager logs and ignores it).
std::set<std::string> FencedPods(const json& cr) {
  std::set<std::string> out;
  const auto where = json::json_pointer("/metadata/annotations") / kFencingAnnotation;
  if (!cr.contains(where) || !cr.at(where).is_string()) {
    return out;
  }
  json list = json::parse(cr.at(where).get<std::string>(), nullptr, false);
  for (const auto& name : list.is_array() ? list : json::array()) {
    if (name.is_string()) {
      out.insert(name.get<std::string>());
    }
  }
  return out;
}

}  // namespace

core::Result<std::unique_ptr<FakeCnpgInstanceManager>> FakeCnpgInstanceManager::Start(
    RealKubeNode& node, const SandboxCluster& sandbox, const std::string& ns) {
  std::unique_ptr<FakeCnpgInstanceManager> manager(new FakeCnpgInstanceManager(node, ns));
  platform::PlatformOptions where;
  where.name = "local";
  where.inventory_path = sandbox.inventory_path();
  HS_ASSIGN_OR_RETURN(manager->local_, platform::OpenPlatform(where));
  HS_ASSIGN_OR_RETURN(manager->cluster_,
                      manager->local_->FindCluster(sandbox.cluster().ns, sandbox.cluster().name));
  manager->watch_ = std::make_unique<k8s::ResourceWatch>(
      node.admin(), k8s::resources::kCnpgClusters, ns,
      k8s::ListOptions{.field_selector = "metadata.name=" + manager->cluster_.name});
  manager->thread_ = std::thread([raw = manager.get()] { raw->Run(); });
  return manager;
}

FakeCnpgInstanceManager::~FakeCnpgInstanceManager() {
  stop_ = true;
  watch_->Stop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::string FakeCnpgInstanceManager::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void FakeCnpgInstanceManager::Run() {
  RunWatchLoop(*watch_, stop_, [this](const json& cluster_cr, bool deleted) {
    if (!deleted) {
      Apply(cluster_cr);
    }
  });
}

void FakeCnpgInstanceManager::Apply(const json& cluster_cr) {
  SwitchOver(cluster_cr);
  const std::set<std::string> fenced = FencedPods(cluster_cr);
  for (const auto& instance : cluster_.instances) {
    // PublishSandboxAsCnpg names the pods <cluster>-<ordinal + 1>, as CNPG numbers them.
    const std::string pod = cluster_.name + "-" + std::to_string(instance.ordinal + 1);
    const bool want_down = fenced.count(pod) != 0 || fenced.count("*") != 0;
    const bool down = stopped_.count(pod) != 0;
    core::Status acted;
    if (want_down && !down) {
      acted = local_->StopInstance(cluster_, instance);
      if (acted.ok()) {
        stopped_.insert(pod);
        acted = SetReady(pod, false);
      }
    } else if (!want_down && down) {
      acted = WriteOwnSettings(instance);
      if (acted.ok()) {
        acted = local_->StartInstance(cluster_, instance);
      }
      if (acted.ok()) {
        stopped_.erase(pod);
        acted = SetReady(pod, true);
      }
    }
    if (!acted.ok()) {
      std::lock_guard lock(mu_);
      last_error_ = pod + ": " + acted.ToString();
    }
  }
}

core::Status FakeCnpgInstanceManager::WriteOwnSettings(const platform::Instance& instance) const {
  // CloudNativePG's instance manager writes the server's configuration (its custom.conf, which
  // postgresql.conf includes) before every start; HASteward leaves it to the operator
  // (platform::SettingsOwner::kOperator). A restored or re-cloned data directory carries its
  // source's settings until then.
  std::ofstream conf(instance.data_dir + "/postgresql.conf", std::ios::app);
  conf << "\n# fake CNPG instance manager: the instance's own settings\nport = " << instance.port
       << "\nlisten_addresses = '" << instance.host << "'\n";
  if (!instance.socket.empty()) {
    conf << "unix_socket_directories = '" << instance.socket << "'\n";
  }
  conf << "cluster_name = '" << instance.name << "'\n";
  conf.close();
  return conf ? core::Status::Ok()
              : core::Internal("write the settings of '" + instance.name + "' into its " +
                               instance.data_dir + "/postgresql.conf");
}

int FakeCnpgInstanceManager::OrdinalOf(const std::string& pod) const {
  for (const auto& instance : cluster_.instances) {
    if (pod == cluster_.name + "-" + std::to_string(instance.ordinal + 1)) {
      return instance.ordinal;
    }
  }
  return -1;
}

void FakeCnpgInstanceManager::SwitchOver(const json& cluster_cr) {
  const std::string current = cluster_cr.value("/status/currentPrimary"_json_pointer, "");
  const std::string target = cluster_cr.value("/status/targetPrimary"_json_pointer, "");
  const int from = OrdinalOf(current);
  const int to = OrdinalOf(target);
  if (target.empty() || target == current || from < 0 || to < 0) {
    return;
  }
  core::Status switched = SwitchPostgresPrimary(*local_, cluster_, from, to, mode_);
  if (!switched.ok()) {
    std::lock_guard lock(mu_);
    last_error_ = "switchover to " + target + ": " + switched.ToString();
    return;
  }
  // The roles on the pods, then the Cluster's status, as the operator reports a finished switch.
  const k8s::KubeClient& admin = node_.admin();
  for (const auto& [pod, role] : {std::pair{current, "replica"}, std::pair{target, "primary"}}) {
    Record(pod, admin
                    .Patch(k8s::resources::kPods, ns_, pod, k8s::PatchType::kMerge,
                           {{"metadata", {{"labels", {{"cnpg.io/instanceRole", role}}}}}})
                    .status());
  }
  Record(
      cluster_.name,
      admin
          .Patch(k8s::resources::kCnpgClusters, ns_, cluster_.name, k8s::PatchType::kMerge,
                 {{"status", {{"currentPrimary", target}, {"phase", "Cluster in healthy state"}}}},
                 "status")
          .status());
}

void FakeCnpgInstanceManager::Record(const std::string& what, const core::Status& status) {
  if (!status.ok()) {
    std::lock_guard lock(mu_);
    last_error_ = what + ": " + status.ToString();
  }
}

core::Status FakeCnpgInstanceManager::SetReady(const std::string& pod, bool ready) {
  return node_.SetReady(ns_, pod, ready);
}

}  // namespace hasteward::testing
