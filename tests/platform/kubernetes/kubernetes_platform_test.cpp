// The kubernetes platform's discovery against a real kube-apiserver (the pinned operators' CRDs,
// the platform's RBAC of platform_rbac.yaml applied with kubectl, its ServiceAccount's token; pods
// on the test node, RealKubeNode): CloudNativePG Clusters and mariadb-operator MariaDBs become
// clusters, their pods instances, their operator Secrets credentials fetched through the API.
//
// Contract: the CR fields read are those of the upstream CRDs (checked against the
// cloudnative-pg/cloudnative-pg and mariadb-operator/mariadb-operator sources and docs):
//   CNPG postgresql.cnpg.io/v1 Cluster: metadata.name/namespace, spec.superuserSecret.name
//     (a LocalObjectReference; default Secret <cluster>-superuser, type basic-auth with keys
//     username and password, kept while spec.enableSuperuserAccess), status.currentPrimary (pod
//     name). Pods: label cnpg.io/cluster=<cluster>, role in cnpg.io/instanceRole (the older
//     label `role` before it), database container "postgres" with port "postgresql" (5432),
//     PGDATA /var/lib/postgresql/data/pgdata.
//   mariadb-operator k8s.mariadb.com/v1alpha1 MariaDB: spec.galera.enabled, spec.port (default
//     3306), spec.rootPasswordSecretKeyRef {name, key}, status.currentPrimary (pod name).
//     Pods: label app.kubernetes.io/instance=<name>, named <name>-<index>, container "mariadb",
//     data directory /var/lib/mysql.
#include "platform/kubernetes/kubernetes_platform.h"

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "platform/kubernetes/mariadb_scaling.h"
#include "platform/kubernetes/operator_discovery.h"
#include "platform/operator_restore.h"
#include "platform/operator_switchover.h"
#include "platform/peer_address.h"
#include "platform/registry.h"
#include "support/fake_kube_operators.h"
#include "support/http_wire.h"
#include "support/mariadb_pod_rehearsal.h"
#include "support/real_kube_audit.h"
#include "support/real_kube_node.h"
#include "support/real_kube_operators.h"
#include "support/tcp_echo_server.h"

namespace hasteward::platform::kubernetes {
namespace {

using hasteward::testing::kPlatformNamespace;
using hasteward::testing::OperatorPod;
using hasteward::testing::SecretObject;
using nlohmann::json;

// The platform's account of platform_rbac.yaml, as the audit log names it.
constexpr char kPlatformUser[] = "system:serviceaccount:hasteward:hasteward";

class KubernetesPlatformTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kube = hasteward::testing::RealKubeCluster::Start();
    ASSERT_TRUE(kube.ok()) << kube.status().ToString();
    kube_ = std::move(kube).value();
    hasteward::testing::RealKubeApi& api = *kube_->api;
    for (const char* ns : {kPlatformNamespace, "hasteward"}) {
      ASSERT_TRUE(api.CreateNamespace(ns).ok());
    }
    ASSERT_EQ(api.Kubectl({"create", "serviceaccount", "hasteward", "-n", "hasteward"}).exit_code,
              0);
    core::Status crds = hasteward::testing::ServeOperatorCrds(api);
    ASSERT_TRUE(crds.ok()) << crds.ToString();
    auto rbac = api.Kubectl({"apply", "-f", hasteward::testing::PlatformRbacFile()});
    ASSERT_EQ(rbac.exit_code, 0) << rbac.err;
    auto token = api.ServiceAccountToken("hasteward", "hasteward");
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    auto path = api.WriteKubeconfig(*token, kPlatformNamespace);
    ASSERT_TRUE(path.ok());
    auto config = LoadKubeconfig(*path);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    config_ = *config;
    platform_ = std::make_unique<KubernetesPlatform>(*config);
  }

  // The object as its owner creates it, with the status its controller reports.
  void Create(const json& object) {
    auto created = hasteward::testing::CreateWithStatus(*kube_->node, object);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  const KubeClient& admin() const { return kube_->node->admin(); }
  json Object(const KubeResource& res, const std::string& name) const {
    auto got = admin().Get(res, kPlatformNamespace, name);
    return got.ok() ? *got : json();
  }
  bool PodGone(const std::string& name) const {
    auto got = admin().Get(resources::kPods, kPlatformNamespace, name);
    return !got.ok() && got.status().code() == core::ErrorCode::kNotFound;
  }
  // The StatefulSet controller's deletion of a pod; the node's kubelet confirms it.
  void DeletePod(const std::string& name) {
    ASSERT_TRUE(admin().Delete(resources::kPods, kPlatformNamespace, name).ok());
    ASSERT_TRUE(core::PollUntil([&] { return PodGone(name); }, std::chrono::seconds(10)));
  }
  // Requests of the platform's account on `resource` the server allowed (its audit log).
  int Allowed(const std::string& resource, int at_least = 1) const {
    return hasteward::testing::AllowedRequests(*kube_->api, kPlatformUser, resource, at_least);
  }

  // A CNPG cluster "pg" with pods pg-2 (primary) and pg-1, pg-10 (replicas).
  void CreateCnpg() {
    Create({{"apiVersion", "postgresql.cnpg.io/v1"},
            {"kind", "Cluster"},
            {"metadata", {{"name", "pg"}, {"namespace", kPlatformNamespace}}},
            {"spec", {{"instances", 3}, {"enableSuperuserAccess", true}}},
            {"status", {{"currentPrimary", "pg-2"}}}});
    for (const char* pod : {"pg-10", "pg-2", "pg-1"}) {
      std::string role = std::string(pod) == "pg-2" ? "primary" : "replica";
      Create(OperatorPod(kPlatformNamespace, pod,
                         {{"cnpg.io/cluster", "pg"}, {"cnpg.io/instanceRole", role}}, "postgres",
                         "postgresql", 5432));
    }
    // A pod of another cluster must not be picked up.
    Create(OperatorPod(kPlatformNamespace, "other-1", {{"cnpg.io/cluster", "other"}}, "postgres",
                       "postgresql", 5432));
    Create(SecretObject(kPlatformNamespace, "pg-superuser",
                        {{"username", "postgres"}, {"password", "s3cret pw"}}));
  }

  void CreateMariaDb(const std::string& name, bool galera) {
    Create({{"apiVersion", "k8s.mariadb.com/v1alpha1"},
            {"kind", "MariaDB"},
            {"metadata", {{"name", name}, {"namespace", kPlatformNamespace}}},
            {"spec",
             {{"replicas", 2},
              {"replicasAllowEvenNumber", galera},
              {"port", 3307},
              {"galera", {{"enabled", galera}}},
              {"rootPasswordSecretKeyRef", {{"name", name + "-root"}, {"key", "root-password"}}}}},
            {"status", {{"currentPrimary", name + "-1"}}}});
    for (int index = 0; index < 2; ++index) {
      Create(OperatorPod(kPlatformNamespace, name + "-" + std::to_string(index),
                         {{"app.kubernetes.io/instance", name}}, "mariadb", "", 3307));
    }
    Create(SecretObject(kPlatformNamespace, name + "-root", {{"root-password", "root pw"}}));
  }

  // A CNPG cluster `name` of one primary pod whose database port is `port`.
  void CreateOnePodCnpg(const std::string& name, int port) {
    Create({{"apiVersion", "postgresql.cnpg.io/v1"},
            {"kind", "Cluster"},
            {"metadata", {{"name", name}, {"namespace", kPlatformNamespace}}},
            {"spec", {{"instances", 1}}}});
    Create(OperatorPod(kPlatformNamespace, name + "-1",
                       {{"cnpg.io/cluster", name}, {"cnpg.io/instanceRole", "primary"}}, "postgres",
                       "postgresql", port));
  }

  KubeConfig config_;
  std::unique_ptr<hasteward::testing::RealKubeCluster> kube_;
  std::unique_ptr<KubernetesPlatform> platform_;
};

// From a kubeconfig (a workstation) instances are reached through the API server: host/port and
// the handle's endpoint are a local port-forward, the pod's address stays the peer address.
TEST_F(KubernetesPlatformTest, ApiServerModeReachesThePodThroughItsPortForward) {
  hasteward::testing::TcpEchoServer pod_server;
  CreateOnePodCnpg("echo", pod_server.port());
  auto c = platform_->FindCluster(kPlatformNamespace, "echo");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto handle = platform_->OpenInstance(*c, c->instances[0]);
  ASSERT_TRUE(handle.ok()) << handle.status().ToString();
  const Endpoint endpoint = (*handle)->endpoint();
  EXPECT_EQ(endpoint.host, "127.0.0.1");
  EXPECT_NE(endpoint.port, pod_server.port());
  EXPECT_EQ(platform::PeerPort((*handle)->instance()), pod_server.port());
  EXPECT_EQ(platform::PeerHost((*handle)->instance()), "127.0.0.1") << "the pod's IP";
  auto connection = hasteward::testing::ConnectLoopback(endpoint.port);
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  EXPECT_EQ(hasteward::testing::EchoRoundTrip(connection->get(), "startup packet"),
            "startup packet");
  EXPECT_EQ(Allowed("pods/portforward"), 1) << "the bytes crossed the API server";
}

TEST_F(KubernetesPlatformTest, PodNetworkModeHandsOutThePodAddress) {
  CreateOnePodCnpg("direct", 6432);
  KubernetesPlatform pod_network(config_, ProcessEnv(), KubeConnectMode::kPodNetwork);
  auto c = pod_network.FindCluster(kPlatformNamespace, "direct");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->instances[0].host, "127.0.0.1");
  EXPECT_EQ(c->instances[0].port, 6432);
  EXPECT_EQ(platform::PeerPort(c->instances[0]), 6432);
  // A cluster an API-server platform routed is routed back to the pod by this one.
  auto routed = platform_->FindCluster(kPlatformNamespace, "direct");
  ASSERT_TRUE(routed.ok());
  auto handle = pod_network.OpenInstance(*routed, routed->instances[0]);
  ASSERT_TRUE(handle.ok());
  EXPECT_EQ((*handle)->endpoint().port, 6432);
}

TEST(KubeConnectModeTest, TheVariableWinsElseTheConfigurationSourceDecides) {
  KubeConfig kubeconfig;
  KubeConfig in_cluster;
  in_cluster.in_cluster = true;
  const EnvLookup unset = [](const std::string&) {
    return std::optional<std::string>();
  };
  EXPECT_EQ(*ResolveKubeConnectMode(unset, kubeconfig), KubeConnectMode::kApiServer);
  EXPECT_EQ(*ResolveKubeConnectMode(unset, in_cluster), KubeConnectMode::kPodNetwork);
  const EnvLookup api = [](const std::string& name) {
    return name == kKubeConnectEnv ? std::optional<std::string>("api-server") : std::nullopt;
  };
  EXPECT_EQ(*ResolveKubeConnectMode(api, in_cluster), KubeConnectMode::kApiServer);
  const EnvLookup wrong = [](const std::string& name) {
    return name == kKubeConnectEnv ? std::optional<std::string>("direct") : std::nullopt;
  };
  auto refused = ResolveKubeConnectMode(wrong, kubeconfig);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), core::ErrorCode::kUsage);
}

TEST_F(KubernetesPlatformTest, RegisteredAsKubernetes) {
  auto names = PlatformNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "kubernetes"), names.end());
}

TEST_F(KubernetesPlatformTest, FindsACnpgClusterWithItsPodsRolesAndSuperuser) {
  CreateCnpg();
  auto c = platform_->FindCluster(kPlatformNamespace, "pg");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->engine, EngineKind::kPostgres);
  EXPECT_EQ(c->ns, kPlatformNamespace);
  ASSERT_EQ(c->instances.size(), 3U);
  EXPECT_EQ(c->instances[0].name, "pg-1");
  EXPECT_EQ(c->instances[1].name, "pg-2");
  EXPECT_EQ(c->instances[2].name, "pg-10") << "pod numbers order numerically";
  EXPECT_EQ(c->instances[1].ordinal, 1);
  EXPECT_EQ(c->instances[1].labels.at("role"), "primary");
  EXPECT_EQ(c->instances[0].labels.at("role"), "replica");
  EXPECT_EQ(platform::PeerHost(c->instances[0]), "127.0.0.1") << "the pod's IP, for its peers";
  EXPECT_EQ(platform::PeerPort(c->instances[0]), 5432);
  EXPECT_EQ(c->instances[0].host, "127.0.0.1") << "a port-forward (the default: API server)";
  EXPECT_NE(c->instances[0].port, 5432);
  EXPECT_EQ(c->instances[0].data_dir, "/var/lib/postgresql/data/pgdata");
  EXPECT_EQ(c->credentials.user, "postgres");
  auto password = c->credentials.password.Resolve();
  ASSERT_TRUE(password.ok()) << password.status().ToString();
  EXPECT_EQ(*password, "s3cret pw");
  // The instance manager writes the server's settings before every start: HASteward appends none
  // (a restored server's listen_addresses once overrode CNPG's '*').
  for (const auto& instance : c->instances) {
    EXPECT_EQ(instance.settings_owner, platform::SettingsOwner::kOperator) << instance.name;
  }
  auto via = platform_->OpenOperatorSwitchover(*c);
  ASSERT_TRUE(via.ok()) << via.status().ToString();
  EXPECT_EQ((*via)->DatabaseAccount(), "") << "CNPG switches over through no database account";
}

TEST_F(KubernetesPlatformTest, CnpgLegacyRoleLabelAndSuperuserSecretOverride) {
  Create({{"apiVersion", "postgresql.cnpg.io/v1"},
          {"kind", "Cluster"},
          {"metadata", {{"name", "old"}, {"namespace", kPlatformNamespace}}},
          {"spec", {{"instances", 1}, {"superuserSecret", {{"name", "my-admin"}}}}}});
  Create(OperatorPod(kPlatformNamespace, "old-1", {{"cnpg.io/cluster", "old"}, {"role", "primary"}},
                     "postgres", "postgresql", 6543));
  Create(SecretObject(kPlatformNamespace, "my-admin", {{"username", "admin"}, {"password", "pw"}}));
  auto c = platform_->FindCluster(kPlatformNamespace, "old");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->instances.size(), 1U);
  EXPECT_EQ(c->instances[0].labels.at("role"), "primary");
  EXPECT_EQ(platform::PeerPort(c->instances[0]), 6543) << "the port named postgresql";
  EXPECT_EQ(c->credentials.user, "admin");
  EXPECT_EQ(*c->credentials.password.Resolve(), "pw");
}

TEST_F(KubernetesPlatformTest, FindsMariaDbReplicationAndGalera) {
  CreateMariaDb("maria", false);
  CreateMariaDb("gal", true);
  auto maria = platform_->FindCluster(kPlatformNamespace, "maria");
  ASSERT_TRUE(maria.ok()) << maria.status().ToString();
  EXPECT_EQ(maria->engine, EngineKind::kMariadb);
  ASSERT_EQ(maria->instances.size(), 2U);
  EXPECT_EQ(maria->instances[0].name, "maria-0");
  EXPECT_EQ(platform::PeerPort(maria->instances[0]), 3307);
  EXPECT_EQ(maria->instances[0].data_dir, "/var/lib/mysql");
  EXPECT_EQ(maria->instances[1].labels.at("role"), "primary") << "status.currentPrimary";
  EXPECT_EQ(maria->instances[0].labels.at("role"), "replica");
  EXPECT_EQ(maria->credentials.user, "root");
  EXPECT_EQ(*maria->credentials.password.Resolve(), "root pw");
  EXPECT_EQ(maria->instances[0].settings_owner, platform::SettingsOwner::kHasteward);
  auto via = platform_->OpenOperatorSwitchover(*maria);
  ASSERT_TRUE(via.ok()) << via.status().ToString();
  EXPECT_EQ((*via)->DatabaseAccount(), "root") << "the account HASteward's fence must spare";

  auto gal = platform_->FindCluster(kPlatformNamespace, "gal");
  ASSERT_TRUE(gal.ok()) << gal.status().ToString();
  EXPECT_EQ(gal->engine, EngineKind::kGalera);
  EXPECT_EQ(gal->instances.size(), 2U);
  EXPECT_EQ(gal->instances[0].labels.count("role"), 0U) << "galera nodes are all primaries";
}

// A StatefulSet's pod carries its hostname and its governing Service as subdomain: its DNS name
// is what a replica is pointed at for good (a pod recreated by a restore's scale to zero and back
// gets another IP; the real node showed a rebuilt replica left dialling the old one). A pod
// without them has none, and its peer host stands in.
TEST_F(KubernetesPlatformTest, AStatefulSetPodsDnsNameIsItsStableHost) {
  CreateMariaDb("maria", false);
  json pod = OperatorPod(kPlatformNamespace, "maria-2", {{"app.kubernetes.io/instance", "maria"}},
                         "mariadb", "", 3307);
  pod["spec"]["hostname"] = "maria-2";
  pod["spec"]["subdomain"] = "maria-internal";
  Create(pod);
  auto maria = platform_->FindCluster(kPlatformNamespace, "maria");
  ASSERT_TRUE(maria.ok()) << maria.status().ToString();
  ASSERT_EQ(maria->instances.size(), 3U);
  const platform::Instance& stateful = maria->instances[2];
  EXPECT_EQ(platform::StableHost(stateful),
            "maria-2.maria-internal." + std::string(kPlatformNamespace) + ".svc");
  EXPECT_TRUE(platform::NamesInstance(stateful, platform::StableHost(stateful), 3307));
  EXPECT_EQ(platform::StableHost(maria->instances[0]), platform::PeerHost(maria->instances[0]));
}

TEST_F(KubernetesPlatformTest, ListsBothOperatorsAndNamesThemWhenOneIsMissing) {
  CreateCnpg();
  CreateMariaDb("maria", false);
  auto all = platform_->ListClusters();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ((*all)[0].name, "pg");
  EXPECT_EQ((*all)[1].name, "maria");
  auto missing = platform_->FindCluster(kPlatformNamespace, "nope");
  ASSERT_EQ(missing.status().code(), core::ErrorCode::kNotFound);
  EXPECT_NE(missing.status().hint().find("pg (cnpg)"), std::string::npos)
      << missing.status().hint();
  EXPECT_NE(missing.status().hint().find("maria (mariadb)"), std::string::npos);
}

// A user with CloudNativePG alone: mariadb-operator's CRD is not installed, so listing MariaDBs
// answers 404, and the CloudNativePG clusters are still listed, in the configuration's namespace
// and in every namespace (serve's). Until this, the operator in its pod on the real node managed
// nothing there: each listing failed on the missing kind.
TEST_F(KubernetesPlatformTest, AnOperatorThatIsNotInstalledHasNoClustersAndHidesNoneOfTheOther) {
  CreateCnpg();
  ASSERT_EQ(kube_->api->Kubectl({"delete", "crd", "mariadbs.k8s.mariadb.com"}).exit_code, 0);
  ASSERT_TRUE(core::PollUntil(
      [&] {
        return admin().List(resources::kMariaDbs, kPlatformNamespace).status().code() ==
               core::ErrorCode::kNotFound;
      },
      std::chrono::seconds(30)))
      << "the server still serves MariaDBs";
  // The configuration's namespace with the platform's Role; every namespace as the admin (the
  // platform's Role grants one namespace, deploy/'s ClusterRole every one).
  auto admin_config = LoadKubeconfig(kube_->api->admin_kubeconfig());
  ASSERT_TRUE(admin_config.ok()) << admin_config.status().ToString();
  KubernetesPlatform everywhere(*admin_config);
  everywhere.ListIn(KubernetesPlatform::kAllNamespaces);
  for (KubernetesPlatform* platform : {platform_.get(), &everywhere}) {
    auto all = platform->ListClusters();
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_EQ(all->size(), 1U);
    EXPECT_EQ((*all)[0].name, "pg");
    EXPECT_EQ((*all)[0].ns, kPlatformNamespace);
    EXPECT_EQ((*all)[0].instances.size(), 3U) << "its pods, listed in its own namespace";
  }
}

TEST_F(KubernetesPlatformTest, AMissingSecretFailsAtConnectionNamingIt) {
  Create({{"apiVersion", "postgresql.cnpg.io/v1"},
          {"kind", "Cluster"},
          {"metadata", {{"name", "nosu"}, {"namespace", kPlatformNamespace}}},
          {"spec", {{"instances", 1}}}});
  auto c = platform_->FindCluster(kPlatformNamespace, "nosu");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto password = c->credentials.password.Resolve();
  ASSERT_FALSE(password.ok());
  EXPECT_NE(password.status().ToString().find("nosu-superuser"), std::string::npos)
      << password.status().ToString();
}

TEST_F(KubernetesPlatformTest, ExecRunsInThePodAndLifecycleCallsNameTheOperator) {
  CreateCnpg();
  auto c = platform_->FindCluster(kPlatformNamespace, "pg");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto handle = platform_->OpenInstance(*c, c->instances[0]);
  ASSERT_TRUE(handle.ok());
  EXPECT_EQ((*handle)->capabilities().Describe(), "can-start-stop,operator-owns-lifecycle")
      << "CloudNativePG instances are stopped by fencing them";
  core::SubprocessOptions o;
  o.argv = {"sh", "-c", "cat; echo \"$HS_KUBE_PROBE\"; echo err >&2; exit 5"};
  o.env_set["HS_KUBE_PROBE"] = "through-env";
  o.stdin_mode = core::StdioMode::kPipe;
  auto proc = (*handle)->Exec(o);
  ASSERT_TRUE(proc.ok()) << proc.status().ToString();
  ASSERT_TRUE(core::WriteAll((*proc)->stdin_fd(), core::AsBytes(std::string("from-stdin\n"))).ok());
  (*proc)->CloseStdin();
  std::string out;
  std::vector<uint8_t> buf(4096);
  while (true) {
    auto n = core::ReadSome((*proc)->stdout_fd(), buf);
    ASSERT_TRUE(n.ok());
    if (*n == 0) {
      break;
    }
    out.append(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  EXPECT_EQ((*proc)->Wait().exit_code, 5);
  EXPECT_EQ(out, "from-stdin\nthrough-env\n");
  EXPECT_NE((*proc)->StderrAll().find("err"), std::string::npos);

  EXPECT_GE(Allowed("pods/exec"), 1);

  // mariadb-operator keeps mariadbd down only while its pod is gone (mariadb_scaling.h): the
  // StatefulSet scales from its highest ordinal, so ordinal 0 is never stopped alone, and no
  // pod bootstraps a new cluster through the API.
  CreateMariaDb("maria", false);
  auto maria = platform_->FindCluster(kPlatformNamespace, "maria");
  ASSERT_TRUE(maria.ok()) << maria.status().ToString();
  auto pod = platform_->OpenInstance(*maria, maria->instances[0]);
  ASSERT_TRUE(pod.ok());
  EXPECT_EQ((*pod)->capabilities().Describe(), "can-start-stop,operator-owns-lifecycle");
  for (const core::Status& refused :
       {(*pod)->Stop(std::chrono::seconds(1)), (*pod)->Fence(std::chrono::seconds(1))}) {
    EXPECT_EQ(refused.code(), core::ErrorCode::kUsage);
    EXPECT_NE(refused.message().find("ordinal 0"), std::string::npos) << refused.message();
  }
  core::Status bootstrap = (*pod)->StartNewCluster(std::chrono::seconds(1));
  EXPECT_EQ(bootstrap.code(), core::ErrorCode::kUsage);
  EXPECT_NE(bootstrap.message().find("mariadb-operator"), std::string::npos) << bootstrap.message();
}

// Fence/Start of a CloudNativePG pod go through the fencing annotation and wait for the instance
// manager's answer, the pod's readiness (played here by the test).
TEST_F(KubernetesPlatformTest, CnpgFenceAndStartWaitForTheInstanceManager) {
  CreateCnpg();
  auto c = platform_->FindCluster(kPlatformNamespace, "pg");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto handle = platform_->OpenInstance(*c, c->instances[0]);  // pg-1
  ASSERT_TRUE(handle.ok());
  auto fenced_names = [&] {
    return Object(resources::kCnpgClusters, "pg")["metadata"]
        .value("annotations", json::object())
        .value("cnpg.io/fencedInstances", "");
  };
  auto set_ready = [&](bool ready) {
    ASSERT_TRUE(kube_->node->SetReady(kPlatformNamespace, "pg-1", ready).ok());
  };
  // Nobody stops PostgreSQL: the fence is requested, the wait times out.
  EXPECT_EQ((*handle)->Fence(std::chrono::milliseconds(300)).code(), core::ErrorCode::kTimeout);
  EXPECT_EQ(fenced_names(), "[\"pg-1\"]");
  EXPECT_TRUE(*(*handle)->IsRunning()) << "fenced but still ready: PostgreSQL is stopping";
  set_ready(false);  // the instance manager stopped it
  EXPECT_FALSE(*(*handle)->IsRunning());
  EXPECT_TRUE((*handle)->Stop(std::chrono::seconds(1)).ok()) << "stopping a fenced pod is ok";
  // Start lifts the fence and waits for readiness.
  EXPECT_EQ((*handle)->Start(std::chrono::milliseconds(300)).code(), core::ErrorCode::kTimeout);
  EXPECT_EQ(fenced_names(), "") << "an empty fence list is no annotation";
  EXPECT_TRUE(*(*handle)->IsRunning()) << "unfenced, not ready yet: starting";
  set_ready(true);
  EXPECT_TRUE((*handle)->Start(std::chrono::seconds(1)).ok());
}

// Every rule of platform_rbac.yaml is needed: this flow uses each, and none is left over.
TEST_F(KubernetesPlatformTest, EveryRuleInThePlatformRbacIsUsed) {
  CreateCnpg();
  CreateMariaDb("maria", false);
  Create(hasteward::testing::MariaDbStatefulSet(kPlatformNamespace, "maria", 2));
  ASSERT_TRUE(platform_->ListClusters().ok());
  for (const char* name : {"pg", "maria"}) {
    auto c = platform_->FindCluster(kPlatformNamespace, name);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE(c->credentials.password.Resolve().ok());
    auto handle = platform_->OpenInstance(*c, c->instances[0]);
    ASSERT_TRUE(handle.ok());
    auto running = (*handle)->IsRunning();
    ASSERT_TRUE(running.ok()) << running.status().ToString();
    EXPECT_TRUE(*running);
    auto run = (*handle)->Run({"true"});
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    EXPECT_TRUE(run->status.ok());
    // A connection to the endpoint is a port-forward session (whatever the pod's port answers).
    const int sessions = Allowed("pods/portforward", 0);
    auto connection = hasteward::testing::ConnectLoopback((*handle)->endpoint().port);
    ASSERT_TRUE(connection.ok()) << connection.status().ToString();
    connection->Reset();  // a port-forward is logged when its stream ends
    EXPECT_GT(Allowed("pods/portforward", sessions + 1), sessions);
    if (std::string(name) == "pg") {  // fencing (no instance manager here: the wait times out)
      EXPECT_EQ((*handle)->Fence(std::chrono::milliseconds(100)).code(), core::ErrorCode::kTimeout);
    } else {  // the Galera heal's stop, exec in the helper pod and start of a pod
      auto second = platform_->OpenInstance(*c, c->instances[1]);
      ASSERT_TRUE(second.ok());
      core::Status rehearsed = hasteward::testing::RehearseMariaDbPodHeal(*kube_->node, **second);
      EXPECT_TRUE(rehearsed.ok()) << rehearsed.ToString();
    }
  }
  // Every grant of the role was used by a request the server allowed (its audit log).
  auto role = kube_->api->Kubectl(
      {"get", "role", "hasteward-platform", "-n", kPlatformNamespace, "-o", "json"});
  ASSERT_EQ(role.exit_code, 0) << role.err;
  const auto requests = hasteward::testing::RequestsBy(kube_->api->AuditEvents(), kPlatformUser);
  hasteward::testing::ExpectEveryGrantUsedAndNoneRefused(
      hasteward::testing::GrantsOf(json::parse(role.out)), requests);
}

// Stopping a mariadb-operator pod suspends its MariaDB (marked as HASteward's doing) and scales
// the StatefulSet below it; starting scales it back to the MariaDB's size and lifts only the
// suspend HASteward set. A MariaDB an admin suspended stays suspended.
TEST_F(KubernetesPlatformTest, MariaDbStopSuspendsAndScalesDownStartScalesBackAndResumes) {
  CreateMariaDb("maria", true);
  Create(hasteward::testing::MariaDbStatefulSet(kPlatformNamespace, "maria", 2));
  auto c = platform_->FindCluster(kPlatformNamespace, "maria");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto pod = platform_->OpenInstance(*c, c->instances[1]);
  ASSERT_TRUE(pod.ok());
  auto object = [&](const KubeResource& res) {
    return Object(res, "maria");
  };
  const auto mark = "/metadata/annotations"_json_pointer / std::string(kSuspendedForAnnotation);

  EXPECT_EQ((*pod)->Fence(std::chrono::milliseconds(100)).code(), core::ErrorCode::kTimeout)
      << "the pod is still there (no StatefulSet controller here)";
  EXPECT_TRUE(object(resources::kMariaDbs).value("/spec/suspend"_json_pointer, false));
  EXPECT_EQ(object(resources::kMariaDbs).value(mark, ""), "maria-1");
  EXPECT_EQ(object(resources::kStatefulSets).value("/spec/replicas"_json_pointer, 0), 1);
  DeletePod("maria-1");
  EXPECT_TRUE((*pod)->Stop(std::chrono::seconds(1)).ok()) << "scaled away: stopped";
  EXPECT_FALSE(*(*pod)->IsRunning());

  EXPECT_EQ((*pod)->Start(std::chrono::milliseconds(100)).code(), core::ErrorCode::kTimeout)
      << "no controller re-creates the pod here";
  EXPECT_EQ(object(resources::kStatefulSets).value("/spec/replicas"_json_pointer, 0), 2);
  EXPECT_FALSE(object(resources::kMariaDbs).value("/spec/suspend"_json_pointer, true));
  EXPECT_FALSE(object(resources::kMariaDbs).contains(mark));

  // An admin's suspend is not HASteward's to lift.
  ASSERT_TRUE(admin()
                  .Patch(resources::kMariaDbs, kPlatformNamespace, "maria", PatchType::kMerge,
                         {{"spec", {{"suspend", true}}}})
                  .ok());
  Create(OperatorPod(kPlatformNamespace, "maria-1", {{"app.kubernetes.io/instance", "maria"}},
                     "mariadb", "", 3307));
  EXPECT_TRUE((*pod)->Start(std::chrono::seconds(1)).ok());
  EXPECT_TRUE(object(resources::kMariaDbs).value("/spec/suspend"_json_pointer, false));
}

// A helper pod that never runs (its volume claim still attached elsewhere, an image that does not
// pull) fails a command on the scaled-away pod within the bound its caller set (repair passes
// --heal-timeout), not the default start bound of 120 s, naming the helper and what to do.
TEST_F(KubernetesPlatformTest, AHelperPodThatNeverRunsFailsExecWithinTheGivenBound) {
  CreateMariaDb("maria", true);
  Create(hasteward::testing::MariaDbStatefulSet(kPlatformNamespace, "maria", 1));
  auto c = platform_->FindCluster(kPlatformNamespace, "maria");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto pod = platform_->OpenInstance(*c, c->instances[1]);
  ASSERT_TRUE(pod.ok());
  // maria-1 is scaled away; no scheduler here places the helper, so it stays Pending.
  DeletePod("maria-1");
  (*pod)->set_exec_start_timeout(std::chrono::milliseconds(800));

  const auto started = std::chrono::steady_clock::now();
  auto run = (*pod)->Run({"true"});
  const auto took = std::chrono::steady_clock::now() - started;

  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), core::ErrorCode::kTimeout);
  EXPECT_EQ(static_cast<int>(run.status().code()), 27) << "the CLI's exit code for a timeout";
  EXPECT_LT(took, std::chrono::seconds(5)) << "bounded by the caller's timeout, not 120 s";
  EXPECT_GE(took, std::chrono::milliseconds(800));
  EXPECT_NE(run.status().message().find("helper pod 'db/maria-1-hasteward-heal' not running"),
            std::string::npos)
      << run.status().ToString();
  EXPECT_NE(run.status().hint().find("kubectl -n db describe pod maria-1-hasteward-heal"),
            std::string::npos)
      << run.status().ToString();
  EXPECT_NE(run.status().hint().find("--heal-timeout"), std::string::npos)
      << run.status().ToString();
}

// The volume mounted at the data directory is a pod's only storage that outlives it: kept copies
// go inside it, as plain files whose names end with the original's (a directory would be listed
// as a database by MariaDB and deleted by a Galera state transfer).
TEST_F(KubernetesPlatformTest, KeptCopiesArePlainFilesInsideTheDataVolume) {
  CreateMariaDb("maria", true);
  auto c = platform_->FindCluster(kPlatformNamespace, "maria");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto pod = platform_->OpenInstance(*c, c->instances[1]);
  ASSERT_TRUE(pod.ok());
  const InstanceHandle::KeptCopies kept = (*pod)->KeptCopiesOf("20260101T000000Z");
  EXPECT_EQ(kept.dir, c->instances[1].data_dir);
  EXPECT_EQ(kept.PathOf("grastate.dat"),
            c->instances[1].data_dir + "/hasteward-kept-20260101T000000Z-grastate.dat");
}

// mariadb-operator keeps a server down by scaling its pod away: that instance is still one of the
// cluster's (the MariaDB declares it), not running, its data on its claim.
TEST_F(KubernetesPlatformTest, AMariaDbPodScaledAwayStaysAnInstanceOfItsCluster) {
  CreateMariaDb("maria", false);
  DeletePod("maria-1");
  auto c = platform_->FindCluster(kPlatformNamespace, "maria");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->instances.size(), 2U);
  EXPECT_EQ(c->instances[1].name, "maria-1");
  EXPECT_EQ(c->instances[1].ordinal, 1);
  EXPECT_EQ(c->instances[1].labels.at("role"), "primary") << "status.currentPrimary";
  EXPECT_EQ(c->instances[1].data_dir, "/var/lib/mysql");
  auto running = platform_->IsRunning(*c, c->instances[1]);
  ASSERT_TRUE(running.ok()) << running.status().ToString();
  EXPECT_FALSE(*running);
  EXPECT_TRUE(*platform_->IsRunning(*c, c->instances[0]));
}

// A native restore stops a mariadb-operator replication cluster itself, and no other: ordinal 0
// when the operator runs it as primary, every pod scaled away with the MariaDB suspended (marked
// as HASteward's), and handed back with the helper pods gone and the suspend lifted.
TEST_F(KubernetesPlatformTest, ANativeRestoreStopsAMariaDbReplicationClusterItself) {
  CreateMariaDb("maria", false);
  CreateMariaDb("gal", true);
  CreateCnpg();
  Create(hasteward::testing::MariaDbStatefulSet(kPlatformNamespace, "maria", 2));
  auto opened = [&](const std::string& name) {
    auto c = platform_->FindCluster(kPlatformNamespace, name);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    auto stop = OpenOperatorRestoreStop(*platform_, *c);
    EXPECT_TRUE(stop.ok()) << stop.status().ToString();
    return std::move(stop).value();
  };
  EXPECT_EQ(opened("gal"), nullptr) << "a galera native restore is refused";
  EXPECT_EQ(opened("pg"), nullptr) << "CloudNativePG fences the target";
  auto stop = opened("maria");
  ASSERT_NE(stop, nullptr);
  auto refused = stop->Target();
  EXPECT_EQ(refused.status().code(), core::ErrorCode::kSafetyStop) << "maria-1 is the primary";
  EXPECT_NE(refused.status().message().find("'maria-1'"), std::string::npos);
  ASSERT_TRUE(admin()
                  .Patch(resources::kMariaDbs, kPlatformNamespace, "maria", PatchType::kMerge,
                         {{"status", {{"currentPrimary", "maria-0"}}}}, "status")
                  .ok());
  auto target = stop->Target();
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  EXPECT_EQ(target->name, "maria-0");

  auto object = [&](const KubeResource& res) {
    return Object(res, "maria");
  };
  const auto mark = "/metadata/annotations"_json_pointer / std::string(kSuspendedForAnnotation);
  EXPECT_FALSE(stop->FoundHeld());
  EXPECT_EQ(stop->StopAll(std::chrono::milliseconds(100), HandBack::kWithTheTarget).code(),
            core::ErrorCode::kTimeout)
      << "the pods are still there (no StatefulSet controller here)";
  EXPECT_TRUE(object(resources::kMariaDbs).value("/spec/suspend"_json_pointer, false));
  EXPECT_EQ(object(resources::kMariaDbs).value(mark, ""), "maria-0");
  EXPECT_EQ(object(resources::kStatefulSets).value("/spec/replicas"_json_pointer, -1), 0);
  for (const char* pod : {"maria-0", "maria-1"}) {
    DeletePod(pod);
  }
  EXPECT_TRUE(stop->StopAll(std::chrono::seconds(1), HandBack::kWithTheTarget).ok());
  EXPECT_FALSE(
      object(resources::kMariaDbs)
          .contains("/metadata/annotations"_json_pointer / std::string(kHeldForAnnotation)))
      << "a plain restore does not hold the cluster";

  // The restore reached maria-1's volume through its helper pod: it must go before the
  // StatefulSet's maria-1 can mount the claim again.
  Create(OperatorPod(kPlatformNamespace, "maria-1-hasteward-heal", json::object(), "heal", "", 1));
  EXPECT_EQ(stop->Resume(std::chrono::milliseconds(100)).code(), core::ErrorCode::kTimeout)
      << "no controller re-creates the pods here";
  EXPECT_TRUE(PodGone("maria-1-hasteward-heal")) << "Resume waits until the kubelet confirmed";
  EXPECT_EQ(object(resources::kStatefulSets).value("/spec/replicas"_json_pointer, 0), 2);
  EXPECT_FALSE(object(resources::kMariaDbs).value("/spec/suspend"_json_pointer, true));
  EXPECT_FALSE(object(resources::kMariaDbs).contains(mark));
  EXPECT_EQ(stop->ResumeCommand(), "hasteward --platform kubernetes instance start -n " +
                                       std::string(kPlatformNamespace) + " -c maria -i 0");
}

// A restore that must reach its point before the operator gets the cluster back (a binlog replay
// on a read-only target) holds it: the target's start brings ordinal 0 back alone and leaves the
// MariaDB suspended (mariadb-operator would set read_only = 0 on it), a start of another pod
// (the discard gate reading a replica) brings it back without resuming either, and only Resume
// lifts the hold, scales back to the declared size and resumes. A stop opened on a held cluster
// finds it held (a rerun after a kill) and keeps the hold whatever its restore asks.
TEST_F(KubernetesPlatformTest, ARestoreHoldsAMariaDbUntilItHandsItBack) {
  CreateMariaDb("maria", false);
  Create(hasteward::testing::MariaDbStatefulSet(kPlatformNamespace, "maria", 2));
  ASSERT_TRUE(admin()
                  .Patch(resources::kMariaDbs, kPlatformNamespace, "maria", PatchType::kMerge,
                         {{"status", {{"currentPrimary", "maria-0"}}}}, "status")
                  .ok());
  auto c = platform_->FindCluster(kPlatformNamespace, "maria");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto object = [&](const KubeResource& res) {
    return Object(res, "maria");
  };
  const auto held = "/metadata/annotations"_json_pointer / std::string(kHeldForAnnotation);
  auto stop = OpenOperatorRestoreStop(*platform_, *c);
  ASSERT_TRUE(stop.ok() && *stop != nullptr) << stop.status().ToString();
  for (const char* pod : {"maria-0", "maria-1"}) {
    DeletePod(pod);
  }
  ASSERT_TRUE((*stop)->StopAll(std::chrono::seconds(1), HandBack::kAtResume).ok());
  EXPECT_EQ(object(resources::kMariaDbs).value(held, ""), "maria-0");
  EXPECT_NE((*stop)->ResumeCommand().find(std::string(kHeldForAnnotation) + "-"), std::string::npos)
      << "handing back by hand lifts the hold: " << (*stop)->ResumeCommand();

  auto target = platform_->OpenInstance(*c, c->instances[0]);
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  EXPECT_EQ((*target)->Start(std::chrono::milliseconds(100)).code(), core::ErrorCode::kTimeout)
      << "no controller re-creates the pod here";
  EXPECT_EQ(object(resources::kStatefulSets).value("/spec/replicas"_json_pointer, -1), 1)
      << "the target comes back alone";
  EXPECT_TRUE(object(resources::kMariaDbs).value("/spec/suspend"_json_pointer, false))
      << "the operator is kept away from the held target";
  auto replica = platform_->OpenInstance(*c, c->instances[1]);
  ASSERT_TRUE(replica.ok()) << replica.status().ToString();
  EXPECT_EQ((*replica)->Start(std::chrono::milliseconds(100)).code(), core::ErrorCode::kTimeout);
  EXPECT_EQ(object(resources::kStatefulSets).value("/spec/replicas"_json_pointer, -1), 2);
  EXPECT_TRUE(object(resources::kMariaDbs).value("/spec/suspend"_json_pointer, false))
      << "a replica's start does not resume a held MariaDB";

  // A rerun after a kill: its stop finds the hold and keeps it, even for a plain restore.
  auto again = OpenOperatorRestoreStop(*platform_, *c);
  ASSERT_TRUE(again.ok() && *again != nullptr) << again.status().ToString();
  EXPECT_TRUE((*again)->FoundHeld());
  ASSERT_TRUE(admin()
                  .Patch(resources::kStatefulSets, kPlatformNamespace, "maria", PatchType::kMerge,
                         {{"spec", {{"replicas", 0}}}})
                  .ok());
  ASSERT_TRUE((*again)->StopAll(std::chrono::seconds(1), HandBack::kWithTheTarget).ok());
  EXPECT_EQ(object(resources::kMariaDbs).value(held, ""), "maria-0");

  EXPECT_EQ((*again)->Resume(std::chrono::milliseconds(100)).code(), core::ErrorCode::kTimeout)
      << "no controller re-creates the pods here";
  EXPECT_FALSE(object(resources::kMariaDbs).contains(held));
  EXPECT_FALSE(object(resources::kMariaDbs).value("/spec/suspend"_json_pointer, true));
  EXPECT_EQ(object(resources::kStatefulSets).value("/spec/replicas"_json_pointer, -1), 2);
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
