#include "support/fake_kube_rbac.h"

#include <algorithm>

#include <yaml-cpp/yaml.h>

#include "core/fd.h"

namespace hasteward::testing {
namespace {

std::vector<std::string> Strings(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node && node.IsSequence()) {
    for (const auto& item : node) {
      out.push_back(item.as<std::string>());
    }
  }
  return out;
}

bool Listed(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end() ||
         std::find(list.begin(), list.end(), "*") != list.end();
}

}  // namespace

core::Status FakeKubeRbac::LoadYamlFile(const std::string& path) {
  HS_ASSIGN_OR_RETURN(std::string text, core::ReadFileToString(path));
  core::Status status = LoadYaml(text);
  if (!status.ok()) {
    status.Wrap("load RBAC rules from '" + path + "'");
  }
  return status;
}

core::Status FakeKubeRbac::LoadYaml(const std::string& text) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& error) {
    return core::Usage(std::string("malformed RBAC YAML: ") + error.what());
  }
  for (const auto& doc : docs) {
    if (!doc.IsMap()) {
      continue;
    }
    const std::string kind = doc["kind"].as<std::string>("");
    const std::string ns = doc["metadata"]["namespace"].as<std::string>("");
    const std::string name = doc["metadata"]["name"].as<std::string>("");
    if (kind == "Role" || kind == "ClusterRole") {
      Role role{kind == "Role" ? ns : "", name, {}};
      for (const auto& rule : doc["rules"]) {
        role.rules.push_back({Strings(rule["apiGroups"]), Strings(rule["resources"]),
                              Strings(rule["verbs"]), Strings(rule["resourceNames"])});
      }
      roles_.push_back(std::move(role));
    } else if (kind == "RoleBinding" || kind == "ClusterRoleBinding") {
      Binding binding{kind == "RoleBinding" ? ns : "",
                      doc["roleRef"]["kind"].as<std::string>(""),
                      doc["roleRef"]["name"].as<std::string>(""),
                      {},
                      {}};
      for (const auto& subject : doc["subjects"]) {
        const std::string subject_kind = subject["kind"].as<std::string>("");
        const std::string subject_name = subject["name"].as<std::string>("");
        if (subject_kind == "ServiceAccount") {
          binding.users.push_back("system:serviceaccount:" +
                                  subject["namespace"].as<std::string>(ns) + ":" + subject_name);
        } else if (subject_kind == "User") {
          binding.users.push_back(subject_name);
        } else if (subject_kind == "Group") {
          binding.groups.push_back(subject_name);
        }
      }
      bindings_.push_back(std::move(binding));
    }
  }
  return core::Status::Ok();
}

const FakeKubeRbac::Role* FakeKubeRbac::FindRole(const Binding& binding) const {
  for (const auto& role : roles_) {
    bool cluster_role = role.ns.empty();
    if (role.name == binding.role_name && cluster_role == (binding.role_kind == "ClusterRole") &&
        (cluster_role || role.ns == binding.ns)) {
      return &role;
    }
  }
  return nullptr;
}

bool FakeKubeRbac::RuleAllows(const Rule& rule, const FakeKubeAccess& access) {
  return Listed(rule.groups, access.group) && Listed(rule.resources, access.resource) &&
         Listed(rule.verbs, access.verb) &&
         (rule.names.empty() || (!access.name.empty() && Listed(rule.names, access.name)));
}

bool FakeKubeRbac::Binds(const Binding& binding, const FakeKubeUser& user) const {
  bool subject = Listed(binding.users, user.name);
  for (const auto& group : user.groups) {
    subject = subject || Listed(binding.groups, group);
  }
  return subject;
}

std::set<std::string> FakeKubeRbac::GrantsFor(const FakeKubeUser& user) const {
  std::set<std::string> out;
  for (const auto& binding : bindings_) {
    const Role* role = Binds(binding, user) ? FindRole(binding) : nullptr;
    if (role == nullptr) {
      continue;
    }
    for (const auto& rule : role->rules) {
      for (const auto& group : rule.groups) {
        for (const auto& resource : rule.resources) {
          for (const auto& verb : rule.verbs) {
            out.insert(verb + " " + (group.empty() ? "" : group + "/") + resource);
          }
        }
      }
    }
  }
  return out;
}

bool FakeKubeRbac::Allows(const FakeKubeUser& user, const FakeKubeAccess& access) const {
  if (user.admin) {
    return true;
  }
  for (const auto& binding : bindings_) {
    // A RoleBinding grants only inside its namespace; a ClusterRoleBinding everywhere.
    if (!binding.ns.empty() && binding.ns != access.ns) {
      continue;
    }
    const Role* role = Binds(binding, user) ? FindRole(binding) : nullptr;
    if (role == nullptr) {
      continue;
    }
    for (const auto& rule : role->rules) {
      if (RuleAllows(rule, access)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace hasteward::testing
