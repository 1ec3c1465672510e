#include "support/kube_node_suite.h"

#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/command.h"
#include "support/real_kube_api.h"

namespace hasteward::testing {

core::Result<std::unique_ptr<KubeNodeSuite>> KubeNodeSuite::Begin(const std::string& operator_name,
                                                                  const std::string& ns) {
  HS_ASSIGN_OR_RETURN(std::unique_ptr<KubeNode> node, KubeNode::Attach());
  HS_TRY(node->InstallOperator(operator_name));
  HS_TRY(node->FreshNamespace(ns));
  return std::unique_ptr<KubeNodeSuite>(new KubeNodeSuite(std::move(node), ns));
}

KubeNodeSuite::~KubeNodeSuite() {
  env_.reset();
  const char* keep = std::getenv("HASTEWARD_KUBE_NODE_KEEP");
  if (keep == nullptr || std::string(keep) != "1") {
    (void)node_->Kubectl({"delete", "namespace", ns_, "--wait=false"});
  }
}

core::Status KubeNodeSuite::StartHasteward(const std::string& prefix, const std::string& name) {
  env_ = std::make_unique<HastewardEnv>(prefix, name);
  env_->SetCommandPrefix(node_->EnterPrefix());
  HS_ASSIGN_OR_RETURN(std::string kubeconfig, node_->HastewardKubeconfig(ns_));
  env_->Set("KUBECONFIG", kubeconfig);
  CmdResult init = env_->Run({"repo", "init"});
  if (init.exit_code != 0) {
    return core::Internal("repo init failed (exit " + std::to_string(init.exit_code) +
                          "): " + init.out + init.err);
  }
  return core::Status::Ok();
}

std::string SnapshotIdOf(const CmdResult& backup) {
  const size_t at = backup.out.rfind("{\"");
  if (backup.exit_code != 0 || at == std::string::npos) {
    return "";
  }
  return nlohmann::json::parse(backup.out.substr(at)).value("snapshot_id", "");
}

nlohmann::json MariaDbOperatorExample(const KubeNode& node, const std::string& file,
                                      const std::string& ns, int replicas) {
  auto manifests = RealKubeManifestsDir();
  EXPECT_TRUE(manifests.ok()) << manifests.status().ToString();
  CmdResult rendered = node.Kubectl({"create", "--dry-run=client", "-o", "json", "-f",
                                     *manifests + "/examples/mariadb-operator-" + file});
  EXPECT_EQ(rendered.exit_code, 0) << rendered.err;
  nlohmann::json mariadb = nlohmann::json::parse(rendered.out);
  mariadb["metadata"]["namespace"] = ns;
  mariadb["spec"]["replicas"] = replicas;
  CmdResult image =
      node.Kubectl({"get", "configmap", "mariadb-operator-env", "-n", "mariadb-operator", "-o",
                    "jsonpath={.data.RELATED_IMAGE_MARIADB}"});
  EXPECT_EQ(image.exit_code, 0) << image.err;
  mariadb["spec"]["image"] = image.out;
  mariadb["spec"]["imagePullPolicy"] = "IfNotPresent";
  mariadb["spec"]["metrics"] = {{"enabled", false}};
  for (const char* service : {"service", "primaryService", "secondaryService"}) {
    mariadb["spec"][service] = {{"type", "ClusterIP"}};
  }
  return mariadb;
}

bool MariaDbReady(const KubeNode& node, const std::string& ns, const std::string& name) {
  auto mariadb = node.Get("mariadbs.k8s.mariadb.com", ns, name);
  if (!mariadb.ok()) {
    return false;
  }
  for (const auto& c : mariadb->value(nlohmann::json::json_pointer("/status/conditions"),
                                      nlohmann::json::array())) {
    if (c.value("type", "") == "Ready" && c.value("status", "") == "True") {
      return true;
    }
  }
  return false;
}

std::string MariaDbHandedBack(const KubeNode& node, const std::string& ns, const std::string& name,
                              int replicas) {
  auto mariadb = node.Get("mariadbs.k8s.mariadb.com", ns, name);
  if (!mariadb.ok()) {
    return mariadb.status().ToString();
  }
  if (mariadb->value(nlohmann::json::json_pointer("/spec/suspend"), false)) {
    return "the MariaDB is suspended: " + mariadb->dump();
  }
  auto statefulset = node.Get("statefulsets", ns, name);
  if (!statefulset.ok()) {
    return statefulset.status().ToString();
  }
  const int scaled = statefulset->value(nlohmann::json::json_pointer("/spec/replicas"), -1);
  return scaled == replicas ? std::string()
                            : "the StatefulSet has " + std::to_string(scaled) + " replicas, not " +
                                  std::to_string(replicas);
}

core::Result<nlohmann::json> BackupAndVerify(
    const std::function<CmdResult(std::vector<std::string>)>& kube) {
  CmdResult backup = kube({"backup", "--json"});
  const std::string id = SnapshotIdOf(backup);
  if (id.empty()) {
    return core::Internal("backup failed (exit " + std::to_string(backup.exit_code) +
                          "): " + backup.out + backup.err);
  }
  CmdResult verify = kube({"verify", "--snapshot", id, "--json"});
  if (verify.exit_code != 0) {
    return core::Internal("verify failed (exit " + std::to_string(verify.exit_code) +
                          "): " + verify.out + verify.err);
  }
  return nlohmann::json::parse(LastLine(verify.out)).value("report", nlohmann::json::object());
}

size_t TablesVerified(const nlohmann::json& report, const std::string& database) {
  size_t ok = 0;
  for (const auto& table : report.value("tables", nlohmann::json::array())) {
    if (table.value("check", "") == "ok" &&
        (database.empty() || table.value("database", "") == database)) {
      ++ok;
    }
  }
  return ok;
}

}  // namespace hasteward::testing
