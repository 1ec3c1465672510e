#include "support/kube_published_cluster.h"

#include "core/atomic_file.h"
#include "core/fd.h"
#include "core/poll_until.h"
#include "support/fake_kube_operators.h"
#include "support/real_kube_operators.h"

namespace hasteward::testing {
namespace {

// The sandbox's inventory uses the resource's namespace: both platforms name the cluster alike,
// so snapshots taken through one are found through the other.
constexpr const char* kSandboxNamespace = kPlatformNamespace;

// Renames the sandbox's instances <name>-0.. in its inventory to the pod names CNPG gives them,
// <name>-1.., so that the local platform and the kubernetes platform name each instance alike
// (a native backup records its source instance by name, and a restore through the other platform
// must find the same one). Highest ordinal first, so no two instances share a name meanwhile.
core::Status NameInstancesLikeCnpgPods(const SandboxCluster& sandbox) {
  HS_ASSIGN_OR_RETURN(std::string text, core::ReadFileToString(sandbox.inventory_path()));
  const std::string& name = sandbox.cluster().name;
  for (auto it = sandbox.cluster().instances.rbegin(); it != sandbox.cluster().instances.rend();
       ++it) {
    const std::string from = "- name: " + name + "-" + std::to_string(it->ordinal) + "\n";
    const std::string to = "- name: " + name + "-" + std::to_string(it->ordinal + 1) + "\n";
    size_t at = text.find(from);
    if (at == std::string::npos) {
      return core::Internal("no instance line '" + from + "' in " + sandbox.inventory_path());
    }
    text.replace(at, from.size(), to);
  }
  return core::WriteFileAtomically(sandbox.inventory_path(), core::AsBytes(text));
}

}  // namespace

core::Result<std::unique_ptr<KubePublishedCluster>> KubePublishedCluster::Start(
    const Options& options) {
  std::unique_ptr<KubePublishedCluster> kube(new KubePublishedCluster());
  kube->env_ = std::make_unique<HastewardEnv>(options.temp_prefix, "kube-test");
  HS_ASSIGN_OR_RETURN(kube->sandbox_, SandboxCluster::Create({.engine = options.engine,
                                                              .instances = options.instances,
                                                              .name = options.name,
                                                              .ns = kSandboxNamespace}));
  HS_ASSIGN_OR_RETURN(OperatorApi operator_api,
                      OperatorApi::Start(kPlatformNamespace, {kPlatformNamespace}));
  kube->operator_ = std::make_unique<OperatorApi>(std::move(operator_api));
  RealKubeNode& node = kube->operator_->node();
  if (options.engine == platform::EngineKind::kPostgres) {
    HS_TRY(PublishSandboxAsCnpg(node, *kube->sandbox_, kPlatformNamespace));
    HS_TRY(NameInstancesLikeCnpgPods(*kube->sandbox_));
    HS_ASSIGN_OR_RETURN(kube->instance_manager_,
                        FakeCnpgInstanceManager::Start(node, *kube->sandbox_, kPlatformNamespace));
  } else {
    HS_TRY(PublishSandboxAsMariaDb(node, *kube->sandbox_, kPlatformNamespace));
    HS_ASSIGN_OR_RETURN(kube->mariadb_operator_,
                        FakeMariaDbOperator::Start(node, *kube->sandbox_, kPlatformNamespace));
  }
  // The operator's credentials, as a command run in its pod has them (not serve's pod variables).
  kube->env_->Set("KUBECONFIG", kube->operator_->env().at("KUBECONFIG"));
  CmdResult init = kube->env_->Run({"repo", "init"});
  if (init.exit_code != 0) {
    return core::Internal("repo init failed: " + init.err);
  }
  return kube;
}

KubePublishedCluster::~KubePublishedCluster() {
  instance_manager_.reset();
  mariadb_operator_.reset();
  operator_.reset();
  sandbox_.reset();
}

std::string KubePublishedCluster::engine_flag() const {
  switch (sandbox_->cluster().engine) {
    case platform::EngineKind::kPostgres: return "cnpg";
    case platform::EngineKind::kGalera: return "galera";
    default: return "mariadb";
  }
}

CmdResult KubePublishedCluster::Kube(std::vector<std::string> args,
                                     const HastewardEnv::EnvVars& extra_env) const {
  args.insert(args.begin(), {"--platform", "kubernetes"});
  for (const std::string& extra :
       {std::string("-e"), engine_flag(), std::string("-c"), sandbox_->cluster().name,
        std::string("-n"), std::string(kPlatformNamespace)}) {
    args.push_back(extra);
  }
  return env_->Run(args, "", extra_env);
}

CmdResult KubePublishedCluster::Local(std::vector<std::string> args) const {
  args.insert(args.begin(), {"--platform", "local", "--inventory", sandbox_->inventory_path()});
  for (const std::string& extra :
       {std::string("-e"), engine_flag(), std::string("-c"), sandbox_->cluster().name,
        std::string("-n"), std::string(kSandboxNamespace)}) {
    args.push_back(extra);
  }
  return env_->Run(args);
}

core::Status KubePublishedCluster::LoadShopDataset() {
  const bool postgres = sandbox_->cluster().engine == platform::EngineKind::kPostgres;
  HS_TRY(sandbox_->Sql(0, "CREATE DATABASE shop").status());
  HS_TRY(sandbox_
             ->Sql(0,
                   "CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(40), total "
                   "DECIMAL(10,2));"
                   "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40));" +
                       std::string(postgres ? "INSERT INTO orders SELECT g, 'c' || (g % 97), g * "
                                              "1.25 FROM generate_series(1, 5000) g;"
                                              "INSERT INTO items SELECT g, 'item-' || g FROM "
                                              "generate_series(1, 300) g;"
                                            : "INSERT INTO orders SELECT seq, CONCAT('c', seq % "
                                              "97), seq * 1.25 FROM seq_1_to_5000;"
                                              "INSERT INTO items SELECT seq, CONCAT('item-', "
                                              "seq) FROM seq_1_to_300;"),
                   "shop")
             .status());
  // A backup is taken from a healthy replica, and holds what that replica has applied: the
  // dataset is loaded once every instance holds it (a backup taken before a replica applied the
  // INSERTs restored empty tables, a CI run's flake).
  HS_ASSIGN_OR_RETURN(std::string primary, ShopChecksums(0));
  for (size_t ordinal = 1; ordinal < sandbox_->cluster().instances.size(); ++ordinal) {
    std::string seen;
    bool caught_up = core::PollUntil(
        [&] {
          auto sums = ShopChecksums(static_cast<int>(ordinal));
          seen = sums.ok() ? *sums : sums.status().ToString();
          return sums.ok() && *sums == primary;
        },
        std::chrono::seconds(60));
    if (!caught_up) {
      return core::Status(core::ErrorCode::kTimeout,
                          "instance " + std::to_string(ordinal) +
                              " did not hold the shop dataset within 60 s: '" + seen +
                              "' against the primary's '" + primary + "'");
    }
  }
  return core::Status::Ok();
}

core::Result<std::string> KubePublishedCluster::ShopValue(const std::string& sql) const {
  HS_ASSIGN_OR_RETURN(std::string out, sandbox_->Sql(0, sql, "shop"));
  return out.substr(0, out.find('\n'));
}

core::Result<std::string> KubePublishedCluster::ShopChecksums(int ordinal) const {
  if (sandbox_->cluster().engine == platform::EngineKind::kPostgres) {
    return sandbox_->Sql(
        ordinal,
        "SELECT (SELECT md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o) || ' ' ||"
        " (SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM items i)",
        "shop");
  }
  return sandbox_->Sql(ordinal, "CHECKSUM TABLE shop.orders, shop.items");
}

}  // namespace hasteward::testing
