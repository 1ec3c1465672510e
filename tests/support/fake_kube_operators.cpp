#include "support/fake_kube_operators.h"

#include <unistd.h>

#include "core/hex.h"
#include "core/os_user.h"
#include "support/source_dir.h"

namespace hasteward::testing {

using nlohmann::json;

std::string PlatformRbacFile() {
  return SourceDir() + "/tests/platform/kubernetes/platform_rbac.yaml";
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
          {"spec",
           {{"containers",
             {{{"name", container},
               {"image", "localhost/" + container + ":test"},
               {"ports", {port_entry}}}}}}},
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
  // basic-auth only with both of its keys: the API server refuses it otherwise.
  const bool basic_auth = values.count("username") != 0 && values.count("password") != 0;
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"type", basic_auth ? "kubernetes.io/basic-auth" : "Opaque"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"data", data}};
}

json MariaDbStatefulSet(const std::string& ns, const std::string& name, size_t replicas) {
  json selector = {{"app.kubernetes.io/instance", name}};
  json server = {{"name", "mariadb"},
                 {"image", "docker-registry1.mariadb.com/library/mariadb:10.11"},
                 {"volumeMounts", {{{"name", "storage"}, {"mountPath", kMariaDbPodDataDir}}}}};
  json pod_spec = {{"securityContext", {{"runAsUser", 999}, {"fsGroup", 999}}},
                   {"containers", {server}}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "StatefulSet"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec",
           {{"replicas", replicas},
            {"serviceName", name + "-internal"},
            {"selector", {{"matchLabels", selector}}},
            {"template", {{"metadata", {{"labels", selector}}}, {"spec", pod_spec}}},
            {"volumeClaimTemplates",
             {{{"metadata", {{"name", "storage"}}},
               {"spec",
                {{"accessModes", {"ReadWriteOnce"}},
                 {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}}}}}},
          {"status", {{"replicas", replicas}}}};
}

core::Result<FakePodExecutor> SandboxPodExecutor(const platform::Instance& instance,
                                                 const std::string& container_data_dir) {
  // The "container" is the local instance: commands run as its OS user (only root can switch).
  FakePodProcess as_user;
  if (core::RunningAsRoot() && !instance.os_user.empty()) {
    HS_ASSIGN_OR_RETURN(core::OsUser user, core::LookupOsUser(instance.os_user));
    as_user.uid = user.uid;
    as_user.gid = user.gid;
    as_user.env = {{"HOME", user.home}, {"USER", user.name}, {"LOGNAME", user.name}};
    as_user.cwd = "/";
  }
  const std::string bin_dir = instance.bin_dir;
  const std::string data_dir = instance.data_dir;
  // The image's PATH holds the server's tools (for `env NAME=value tool ...` too).
  if (!bin_dir.empty()) {
    as_user.env["PATH"] = bin_dir + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  }
  return FakePodExecutor([as_user, bin_dir, data_dir, container_data_dir](
                             const std::vector<std::string>& command, const std::string&) {
    FakePodProcess process = as_user;
    process.argv = command;
    // The fake's exec searches its own PATH, so a bare tool name is resolved here.
    if (!process.argv.empty() && process.argv[0].find('/') == std::string::npos &&
        !bin_dir.empty() && ::access((bin_dir + "/" + process.argv[0]).c_str(), X_OK) == 0) {
      process.argv[0] = bin_dir + "/" + process.argv[0];
    }
    // The volume mount: the container's data directory is the instance's wherever a path names
    // it, as an argument, an option's value (--datadir=/var/lib/mysql) or inside a command a
    // shell runs (a restore_command read through exec: cp -- '/var/lib/...' "%p").
    for (auto& arg : process.argv) {
      for (size_t at = container_data_dir.empty() ? std::string::npos
                                                  : arg.find(container_data_dir);
           at != std::string::npos; at = arg.find(container_data_dir, at + data_dir.size())) {
        arg.replace(at, container_data_dir.size(), data_dir);
      }
    }
    return process;
  });
}

}  // namespace hasteward::testing
