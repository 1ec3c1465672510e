// What every suite of the real-node tier (tests/kube_node/) does around its tests, once: attach
// to the node tools/kube-node.sh started, install the operator, start from a fresh namespace; once
// the suite's cluster is ready, HASteward's CLI environment (deploy/'s RBAC, from inside the
// node's network, a repository initialized); after the suite, the environment removed and the
// namespace deleted without waiting (the node's `down` removes everything; the namespace
// controller took minutes over an operator's volume claims). HASTEWARD_KUBE_NODE_KEEP=1 keeps the
// namespace for a look (tools/kube-node.sh run -- kubectl ...).
//
//   static void SetUpTestSuite() {
//     auto suite = KubeNodeSuite::Begin("cnpg", kNamespace);  ... suite_ = release ...
//     ... the suite's own cluster, ready ...
//     ASSERT_TRUE(suite_->StartHasteward("hs-cnpg-node-", "cnpg-node-test").ok());
//   }
//   static void TearDownTestSuite() { delete suite_; }
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "support/hasteward_env.h"
#include "support/kube_node.h"

namespace hasteward::testing {

class KubeNodeSuite {
 public:
  // Attaches the node ($HASTEWARD_KUBE_NODE), installs `operator_name` (KubeNode::InstallOperator)
  // and makes `ns` fresh.
  static core::Result<std::unique_ptr<KubeNodeSuite>> Begin(const std::string& operator_name,
                                                            const std::string& ns);
  ~KubeNodeSuite();
  KubeNodeSuite(const KubeNodeSuite&) = delete;
  KubeNodeSuite& operator=(const KubeNodeSuite&) = delete;

  // HASteward's environment (HastewardEnv(prefix, name)) running inside the node's network with
  // the kubeconfig of deploy/'s ServiceAccount in the namespace, and `repo init` done.
  core::Status StartHasteward(const std::string& prefix, const std::string& name);

  KubeNode& node() const { return *node_; }
  HastewardEnv& env() const { return *env_; }

 private:
  KubeNodeSuite(std::unique_ptr<KubeNode> node, std::string ns)
      : node_(std::move(node)), ns_(std::move(ns)) {}

  std::unique_ptr<KubeNode> node_;
  std::string ns_;
  std::unique_ptr<HastewardEnv> env_;
};

// The snapshot id of `backup ... --json` (its last JSON object), "" when it failed.
std::string SnapshotIdOf(const CmdResult& backup);

// mariadb-operator's example `file` (examples/mariadb-operator-<file> of the pinned module) in
// namespace `ns` with `replicas`, and what a machine without a registry or load balancer needs:
// the operator's own local MariaDB image (IfNotPresent), no metrics exporter (its image is not
// here), ClusterIP Services.
nlohmann::json MariaDbOperatorExample(const KubeNode& node, const std::string& file,
                                      const std::string& ns, int replicas);

// Whether the MariaDB `name` in `ns` has condition Ready True.
bool MariaDbReady(const KubeNode& node, const std::string& ns, const std::string& name);

// "" when mariadb-operator's MariaDB `ns/name` is handed back to the operator (not suspended, its
// StatefulSet at `replicas`), as a refused or finished step must leave it; what differs otherwise.
std::string MariaDbHandedBack(const KubeNode& node, const std::string& ns, const std::string& name,
                              int replicas);

// `backup --json`, then `verify --snapshot <id> --json`, through `kube` (a suite's CLI call with
// its cluster's flags): verify's report object ({"verdict", "tables": [...]}), or an error naming
// the command that failed and its output.
core::Result<nlohmann::json> BackupAndVerify(
    const std::function<CmdResult(std::vector<std::string>)>& kube);

// How many tables of a verify report passed their check, in `database` ("" = in any).
size_t TablesVerified(const nlohmann::json& report, const std::string& database = "");

}  // namespace hasteward::testing
