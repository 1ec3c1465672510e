#include "support/real_kube_audit.h"

#include <tuple>

#include <gtest/gtest.h>

#include "core/poll_until.h"

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
  std::set<std::string> seen;  // auditIDs: a long-running request logs ResponseStarted first
  for (const nlohmann::json& event : events) {
    const std::string stage = event.is_object() ? event.value("stage", "") : "";
    if (!event.is_object() ||
        event.value(nlohmann::json::json_pointer("/user/username"), "") != user ||
        !event.contains("objectRef") ||
        (stage != "ResponseStarted" && stage != "ResponseComplete" && stage != "Panic") ||
        !seen.insert(event.value("auditID", "")).second) {
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
    request.uri = event.value("requestURI", "");
    out.push_back(std::move(request));
  }
  return out;
}

namespace {

std::string PercentDecoded(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i] == '+' ? ' ' : text[i]);
    }
  }
  return out;
}

}  // namespace

std::vector<std::vector<std::string>> ExecCommandsOf(const std::vector<AuditedRequest>& requests) {
  std::vector<std::vector<std::string>> out;
  for (const AuditedRequest& request : requests) {
    if (request.needed.resource != "pods/exec") {
      continue;
    }
    // One exec (a WebSocket upgrade is authorized twice but logged once per request).
    std::vector<std::string> command;
    const size_t query = request.uri.find('?');
    std::string rest = query == std::string::npos ? "" : request.uri.substr(query + 1);
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      const std::string param = rest.substr(0, amp);
      rest = amp == std::string::npos ? "" : rest.substr(amp + 1);
      if (param.rfind("command=", 0) == 0) {
        command.push_back(PercentDecoded(param.substr(8)));
      }
    }
    out.push_back(std::move(command));
  }
  return out;
}

int AllowedRequests(const RealKubeApi& api, const std::string& user, const std::string& resource,
                    int at_least) {
  int count = 0;
  core::PollUntil(
      [&] {
        count = 0;
        for (const AuditedRequest& request : RequestsBy(api.AuditEvents(), user)) {
          count += request.code < 400 && request.needed.resource == resource ? 1 : 0;
        }
        return count >= at_least;
      },
      std::chrono::seconds(10));
  return count;
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
  for (const char* upgraded : {"pods/exec", "pods/portforward"}) {
    if (unused.count({"", upgraded, "get"}) == 0) {
      unused.erase({"", upgraded, "create"});
    }
  }
  return unused;
}

void ExpectEveryGrantUsedAndNoneRefused(const std::set<KubeGrant>& granted,
                                        const std::vector<AuditedRequest>& requests) {
  std::string listed;
  for (const KubeGrant& grant : UnusedGrants(granted, requests)) {
    listed += grant.Text() + "; ";
  }
  EXPECT_EQ(listed, "") << "granted, never used";
  for (const AuditedRequest& request : requests) {
    EXPECT_NE(request.code, 403) << "refused: " << request.Text();
  }
}

}  // namespace hasteward::testing
