#include "support/fake_kube_operators.h"

#include "core/hex.h"
#include "core/os_user.h"

namespace hasteward::testing {

using nlohmann::json;

std::string PlatformRbacFile() {
  return std::string(HS_SOURCE_DIR) + "/tests/platform/kubernetes/platform_rbac.yaml";
}

json OperatorPod(const std::string& ns, const std::string& name, const json& labels,
                 const std::string& container, const std::string& port_name, int port) {
  json port_entry = {{"containerPort", port}, {"protocol", "TCP"}};
  if (!port_name.empty()) {
    port_entry["name"] = port_name;
  }
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
          {"spec", {{"containers", {{{"name", container}, {"ports", {port_entry}}}}}}},
          {"status",
           {{"phase", "Running"},
            {"podIP", "127.0.0.1"},
            {"containerStatuses",
             {{{"name", container}, {"ready", true}, {"state", {{"running", json::object()}}}}}}}}};
}

json SecretObject(const std::string& ns, const std::string& name,
                  const std::map<std::string, std::string>& values) {
  json data = json::object();
  for (const auto& [key, value] : values) {
    data[key] = core::Base64Encode(core::AsBytes(value));
  }
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"type", "kubernetes.io/basic-auth"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"data", data}};
}

core::Status PublishSandboxAsCnpg(FakeKubeApi& api, const SandboxCluster& sandbox,
                                  const std::string& ns) {
  const platform::Cluster& cluster = sandbox.cluster();
  const std::string first_pod = cluster.name + "-1";
  HS_TRY(
      api.CreateForTest(
             {{"apiVersion", "postgresql.cnpg.io/v1"},
              {"kind", "Cluster"},
              {"metadata", {{"name", cluster.name}, {"namespace", ns}}},
              {"spec", {{"instances", cluster.instances.size()}, {"enableSuperuserAccess", true}}},
              {"status", {{"currentPrimary", first_pod}}}})
          .status());
  for (const auto& instance : cluster.instances) {
    const std::string pod = cluster.name + "-" + std::to_string(instance.ordinal + 1);
    json labels = {{"cnpg.io/cluster", cluster.name},
                   {"cnpg.io/instanceRole", instance.ordinal == 0 ? "primary" : "replica"}};
    HS_TRY(api.CreateForTest(OperatorPod(ns, pod, labels, "postgres", "postgresql", instance.port))
               .status());
    // The "container" is the local instance: commands run as its OS user (only root can switch).
    FakePodProcess as_user;
    if (core::RunningAsRoot() && !instance.os_user.empty()) {
      HS_ASSIGN_OR_RETURN(core::OsUser user, core::LookupOsUser(instance.os_user));
      as_user.uid = user.uid;
      as_user.gid = user.gid;
      as_user.env = {{"HOME", user.home}, {"USER", user.name}, {"LOGNAME", user.name}};
      as_user.cwd = "/";
    }
    api.SetPodExecutor(ns, pod,
                       [as_user](const std::vector<std::string>& command, const std::string&) {
                         FakePodProcess process = as_user;
                         process.argv = command;
                         return process;
                       });
  }
  return api
      .CreateForTest(
          SecretObject(ns, cluster.name + "-superuser",
                       {{"username", cluster.credentials.user}, {"password", sandbox.password()}}))
      .status();
}

}  // namespace hasteward::testing
