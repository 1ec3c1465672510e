#include "support/real_kube_audit.h"

#include <tuple>

namespace hasteward::testing {

std::string KubeGrant::Text() const {
  return verb + " " + (group.empty() ? "core" : group) + " " + resource;
}

std::string AuditedRequest::Text() const {
  return needed.Text() + " " + ns + (ns.empty() ? "" : "/") + name + ": " + std::to_string(code);
}

std::vector<AuditedRequest> RequestsBy(const std::vector<nlohmann::json>& events,
                                       const std::string& user) {
  std::vector<AuditedRequest> out;
  for (const nlohmann::json& event : events) {
    if (!event.is_object() ||
        event.value(nlohmann::json::json_pointer("/user/username"), "") != user ||
        !event.contains("objectRef") ||
        (event.value("stage", "") != "ResponseComplete" && event.value("stage", "") != "Panic")) {
      continue;
    }
    const nlohmann::json& ref = event["objectRef"];
    AuditedRequest request;
    request.needed.group = ref.value("apiGroup", "");
    request.needed.resource = ref.value("resource", "");
    if (ref.contains("subresource")) {
      request.needed.resource += "/" + ref.value("subresource", "");
    }
    request.needed.verb = event.value("verb", "");
    request.ns = ref.value("namespace", "");
    request.name = ref.value("name", "");
    request.code = event.value(nlohmann::json::json_pointer("/responseStatus/code"), 0);
    out.push_back(std::move(request));
  }
  return out;
}

std::set<KubeGrant> GrantsOf(const nlohmann::json& cluster_role) {
  std::set<KubeGrant> out;
  for (const nlohmann::json& rule : cluster_role.value("rules", nlohmann::json::array())) {
    for (const auto& group : rule.value("apiGroups", nlohmann::json::array())) {
      for (const auto& resource : rule.value("resources", nlohmann::json::array())) {
        for (const auto& verb : rule.value("verbs", nlohmann::json::array())) {
          out.insert(
              {group.get<std::string>(), resource.get<std::string>(), verb.get<std::string>()});
        }
      }
    }
  }
  return out;
}

std::set<KubeGrant> UnusedGrants(const std::set<KubeGrant>& grants,
                                 const std::vector<AuditedRequest>& requests) {
  std::set<KubeGrant> unused = grants;
  for (const AuditedRequest& request : requests) {
    if (request.code != 403) {
      unused.erase(request.needed);
    }
  }
  return unused;
}

}  // namespace hasteward::testing
