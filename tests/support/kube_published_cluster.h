// A sandbox cluster published on a real kube-apiserver (OperatorApi: deploy/ applied as users
// apply it) as its operator's resource (a CloudNativePG Cluster or a mariadb-operator MariaDB,
// real_kube_operators.h) with pods on the test node, and a HastewardEnv whose KUBECONFIG is the
// operator's ServiceAccount and whose repository is initialised: what the kubernetes integration
// tests drive `hasteward --platform kubernetes` against. A CNPG cluster also gets the emulated
// instance manager (fencing, switchover: fake_cnpg_instance_manager.h); a MariaDB its emulated
// StatefulSet controller and operator (fake_mariadb_operator.h).
//
//   auto kube = KubePublishedCluster::Start({.engine = EngineKind::kPostgres, .name = "pg"});
//   auto triage = (*kube)->Kube({"triage", "--json"});
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "support/command.h"
#include "support/fake_cnpg_instance_manager.h"
#include "support/fake_mariadb_operator.h"
#include "support/hasteward_env.h"
#include "support/operator_api.h"
#include "support/sandbox_cluster.h"

namespace hasteward::testing {

class KubePublishedCluster {
 public:
  struct Options {
    platform::EngineKind engine = platform::EngineKind::kPostgres;
    std::string name;  // the sandbox's and the CR's name
    int instances = 2;
    std::string temp_prefix = "hs-kube-";
  };
  static core::Result<std::unique_ptr<KubePublishedCluster>> Start(const Options& options);
  ~KubePublishedCluster();
  KubePublishedCluster(const KubePublishedCluster&) = delete;
  KubePublishedCluster& operator=(const KubePublishedCluster&) = delete;

  SandboxCluster& sandbox() { return *sandbox_; }
  RealKubeApi& api() { return operator_->api(); }
  RealKubeNode& node() { return operator_->node(); }
  // The cluster admin's client: the test's own reads and writes of objects.
  const platform::kubernetes::KubeClient& admin() const { return operator_->admin(); }
  // The operator's credentials (KUBECONFIG, POD_NAME, POD_NAMESPACE) and an admin kubeconfig.
  OperatorApi& operator_api() { return *operator_; }
  HastewardEnv& env() { return *env_; }
  // The StatefulSet controller of a MariaDB or Galera cluster (nullptr for CNPG).
  FakeMariaDbOperator* mariadb_operator() { return mariadb_operator_.get(); }
  // The instance manager of a CNPG cluster (nullptr for MariaDB and Galera).
  FakeCnpgInstanceManager* cnpg_instance_manager() { return instance_manager_.get(); }
  // "cnpg", "mariadb" or "galera": the -e of the published cluster.
  std::string engine_flag() const;
  // `hasteward --platform kubernetes <args> -e E -c NAME -n db`, with `extra_env` added to its
  // environment (a failpoint).
  CmdResult Kube(std::vector<std::string> args, const HastewardEnv::EnvVars& extra_env = {}) const;
  // `hasteward --platform local --inventory <sandbox's> <args> -e E -c NAME -n db`: the same
  // instances reached as plain local processes (the sandbox's inventory uses namespace db too).
  CmdResult Local(std::vector<std::string> args) const;

  // Creates database "shop" with tables orders (5000 rows) and items (300 rows) on instance 0,
  // and waits (60 s) until every other instance holds the same checksums.
  core::Status LoadShopDataset();
  // Per-table checksums of "shop" on instance `ordinal`: md5 over the ordered rows (PostgreSQL),
  // CHECKSUM TABLE (MariaDB).
  core::Result<std::string> ShopChecksums(int ordinal = 0) const;
  // Runs `sql` in "shop" on instance 0 and returns the first line of what it printed (a
  // position, a time, a segment name), or an error.
  core::Result<std::string> ShopValue(const std::string& sql) const;

 private:
  KubePublishedCluster() = default;
  // Destroyed in reverse: the instance manager before the API and the sandbox it acts on.
  std::unique_ptr<HastewardEnv> env_;
  std::unique_ptr<SandboxCluster> sandbox_;
  std::unique_ptr<OperatorApi> operator_;
  std::unique_ptr<FakeCnpgInstanceManager> instance_manager_;
  std::unique_ptr<FakeMariaDbOperator> mariadb_operator_;
};

}  // namespace hasteward::testing
