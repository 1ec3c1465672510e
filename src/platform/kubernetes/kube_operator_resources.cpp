#include "platform/kubernetes/kube_operator_resources.h"

#include <algorithm>

#include "core/clock.h"
#include "core/hex.h"
#include "platform/kubernetes/cluster_change_watch.h"
#include "platform/kubernetes/resource_events.h"

namespace hasteward::platform::kubernetes {

using nlohmann::json;

const KubeResource& ResourceOf(OperatorResourceKind kind) {
  switch (kind) {
    case OperatorResourceKind::kBackupPolicy: return resources::kBackupPolicies;
    case OperatorResourceKind::kBackupRepository: return resources::kBackupRepositories;
    case OperatorResourceKind::kStandbyCluster: return resources::kStandbyClusters;
  }
  return resources::kBackupPolicies;
}

OperatorResource OperatorResourceFromObject(OperatorResourceKind kind, const json& object) {
  OperatorResource out;
  out.kind = kind;
  const json metadata = object.value("metadata", json::object());
  out.name = metadata.is_object() ? metadata.value("name", "") : "";
  if (metadata.is_object() && metadata.contains("generation") &&
      metadata["generation"].is_number_integer()) {
    out.generation = metadata["generation"].get<int64_t>();
  }
  out.spec = object.value("spec", json());
  return out;
}

KubeOperatorResources::KubeOperatorResources(std::shared_ptr<const KubeClient> client,
                                             std::string reporting_instance)
    : client_(std::move(client)),
      reporting_instance_(std::move(reporting_instance)),
      feed_(std::make_unique<ClusterChangeWatch>(
          client_, "",
          std::vector<KubeResource>{resources::kBackupPolicies, resources::kBackupRepositories,
                                    resources::kStandbyClusters})) {}

KubeOperatorResources::~KubeOperatorResources() {
  feed_.reset();  // joins the watch threads before the client they use goes
}

core::Result<std::vector<OperatorResource>> KubeOperatorResources::List(OperatorResourceKind kind) {
  HS_ASSIGN_OR_RETURN(json list, client_->List(ResourceOf(kind), ""));
  std::vector<OperatorResource> out;
  std::map<std::string, std::string> uids;
  for (const auto& item : list.value("items", json::array())) {
    if (!item.is_object())
      continue;
    out.push_back(OperatorResourceFromObject(kind, item));
    const json uid = item.value("metadata", json::object()).value("uid", json());
    if (uid.is_string())
      uids[std::string(OperatorResourceKindName(kind)) + "/" + out.back().name] = uid;
  }
  {
    std::lock_guard lock(mu_);
    std::erase_if(uids_, [kind](const auto& entry) {
      return entry.first.rfind(std::string(OperatorResourceKindName(kind)) + "/", 0) == 0;
    });
    uids_.merge(uids);
  }
  std::sort(out.begin(), out.end(),
            [](const OperatorResource& a, const OperatorResource& b) { return a.name < b.name; });
  return out;
}

bool KubeOperatorResources::TakeChange() {
  return feed_->TakeChange();
}

core::Result<std::map<std::string, std::string>> KubeOperatorResources::ReadSecret(
    const std::string& ns, const std::string& name) {
  auto secret = client_->Get(resources::kSecrets, ns, name);
  if (!secret.ok())
    return secret.TakeStatus().Wrap("read Secret '" + ns + "/" + name + "'");
  std::map<std::string, std::string> out;
  const json data = secret->value("data", json::object());
  if (!data.is_object())
    return out;
  for (const auto& [key, value] : data.items()) {
    auto decoded = value.is_string() ? core::Base64Decode(value.get<std::string>()) : std::nullopt;
    if (!decoded) {
      std::string message = "Secret '" + ns;
      message += "/";
      message += name;
      message += "' key '";
      message += key;
      message += "' is not base64";
      return core::Usage(message, "check the Secret's data");
    }
    out[key] = core::AsString(*decoded);
  }
  return out;
}

core::Status KubeOperatorResources::WriteStatus(OperatorResourceKind kind, const std::string& name,
                                                const json& status) {
  auto patched =
      client_->Patch(ResourceOf(kind), "", name, PatchType::kMerge, {{"status", status}}, "status");
  return patched.ok() ? core::Status::Ok() : patched.TakeStatus();
}

core::Status KubeOperatorResources::RecordEvent(OperatorResourceKind kind, const std::string& name,
                                                const ClusterEvent& event) {
  OperatorResourceRef ref{kind, name, ""};
  {
    std::lock_guard lock(mu_);
    auto uid = uids_.find(std::string(OperatorResourceKindName(kind)) + "/" + name);
    if (uid != uids_.end())
      ref.uid = uid->second;
  }
  json object = OperatorResourceEventObject(ref, event, reporting_instance_,
                                            core::SystemClock::Get().NowUnixSeconds());
  auto created = client_->Create(resources::kEvents, kClusterScopedEventNamespace, object);
  return created.ok() ? core::Status::Ok() : created.TakeStatus().Wrap("record event");
}

}  // namespace hasteward::platform::kubernetes
