// What a real kube-apiserver's audit log says about one user's requests (issue 50, deploy/'s
// RBAC): the requests it denied, and which permissions of a ClusterRole the requests used. Read
// from RealKubeApi::AuditEvents (level Metadata: user, verb, objectRef, response code).
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/real_kube_api.h"

namespace hasteward::testing {

// One permission: a verb on a resource ("pods/exec") of an API group ("" for the core group).
struct KubeGrant {
  std::string group;
  std::string resource;
  std::string verb;
  bool operator<(const KubeGrant& o) const {
    return std::tie(group, resource, verb) < std::tie(o.group, o.resource, o.verb);
  }
  bool operator==(const KubeGrant&) const = default;
  std::string Text() const;  // "patch postgresql.cnpg.io clusters/status"
};

// One request of the audit log: the permission it needed, where, and the server's answer.
struct AuditedRequest {
  KubeGrant needed;
  std::string ns;
  std::string name;
  int code = 0;     // the response's HTTP status
  std::string uri;  // the request's path and query
  std::string Text() const;
};

// The requests `user` made, one entry per request (its first logged stage: a watch's, exec's or
// port-forward's ResponseStarted, else ResponseComplete or Panic; by auditID).
// Requests without an objectRef (discovery, /version) are left out: RBAC grants no resource
// for them.
std::vector<AuditedRequest> RequestsBy(const std::vector<nlohmann::json>& events,
                                       const std::string& user);

// The command of each pod exec among `requests` (the `command` parameters of its URI), in order:
// what crossed the API server in argv.
std::vector<std::vector<std::string>> ExecCommandsOf(const std::vector<AuditedRequest>& requests);

// How many requests of `user` on `resource` ("pods/portforward", "secrets") `api` allowed, read
// from its audit log until there are at least `at_least` or 10 s passed (a stream is logged when
// it ends).
int AllowedRequests(const RealKubeApi& api, const std::string& user, const std::string& resource,
                    int at_least = 1);

// Every permission a ClusterRole (its JSON as the server returns it) grants, one per group,
// resource and verb its rules name.
std::set<KubeGrant> GrantsOf(const nlohmann::json& cluster_role);

// The grants of `grants` that no request of `requests` was allowed under. A WebSocket exec or
// port-forward is one request, logged as `get`, that the server authorizes as `get` and (since
// 1.35, KEP-4006) as `create` too: its `get` counts as the use of both.
std::set<KubeGrant> UnusedGrants(const std::set<KubeGrant>& grants,
                                 const std::vector<AuditedRequest>& requests);

// gtest expectations: every grant of `granted` was used by a request of `requests` the server
// allowed, and none of `requests` was refused (403; a 404 is an answer).
void ExpectEveryGrantUsedAndNoneRefused(const std::set<KubeGrant>& granted,
                                        const std::vector<AuditedRequest>& requests);

}  // namespace hasteward::testing
