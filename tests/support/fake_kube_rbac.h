// RBAC of FakeKubeApi: Role/ClusterRole rules (apiGroups x resources x verbs x resourceNames) and
// their RoleBindings/ClusterRoleBindings, loaded from the same YAML the deploy/ manifests hold, so
// a call those manifests do not grant fails the tests with 403 Forbidden, as on a real cluster.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "core/status.h"

namespace hasteward::testing {

// Who made a request: "system:serviceaccount:<ns>:<name>" for a service account token, or the
// common name of a client certificate. Admins (system:masters) pass every check.
struct FakeKubeUser {
  std::string name;
  std::vector<std::string> groups;
  bool admin = false;
};

// What a request does: verb (get, list, watch, create, update, patch, delete), API group,
// resource with subresource ("pods/exec"), namespace ("" for cluster scope) and name.
struct FakeKubeAccess {
  std::string verb;
  std::string group;
  std::string resource;
  std::string ns;
  std::string name;
};

class FakeKubeRbac {
 public:
  // Adds every Role, ClusterRole, RoleBinding and ClusterRoleBinding of a multi-document YAML
  // text (other kinds are skipped). kUsage on malformed YAML.
  core::Status LoadYaml(const std::string& text);
  core::Status LoadYamlFile(const std::string& path);
  bool Allows(const FakeKubeUser& user, const FakeKubeAccess& access) const;
  // Every "verb group/resource" (core group: "verb resource") some binding grants `user`, in any
  // namespace and for any resource names: the format of FakeKubeApi::GrantsUsedForTest.
  std::set<std::string> GrantsFor(const FakeKubeUser& user) const;
  bool empty() const { return roles_.empty(); }

 private:
  struct Rule {
    std::vector<std::string> groups, resources, verbs, names;
  };
  struct Role {
    std::string ns;  // "" for a ClusterRole
    std::string name;
    std::vector<Rule> rules;
  };
  struct Binding {
    std::string ns;  // "" for a ClusterRoleBinding
    std::string role_kind, role_name;
    std::vector<std::string> users, groups;  // service accounts as user names
  };
  const Role* FindRole(const Binding& binding) const;
  bool Binds(const Binding& binding, const FakeKubeUser& user) const;
  static bool RuleAllows(const Rule& rule, const FakeKubeAccess& access);

  std::vector<Role> roles_;
  std::vector<Binding> bindings_;
};

}  // namespace hasteward::testing
