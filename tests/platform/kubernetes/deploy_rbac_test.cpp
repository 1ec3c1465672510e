// The RBAC of deploy/ applied to a real kube-apiserver as users apply it (`kubectl apply -k
// deploy/`, the secret reader bound in the database namespace): the operator's ServiceAccount gets
// what the manifests grant and nothing else, and every grant is used.
#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "core/temp_dir.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/kubernetes_platform.h"
#include "platform/operator_resources.h"
#include "platform/operator_switchover.h"
#include "support/deploy_manifests.h"
#include "support/fake_kube_operators.h"
#include "support/http_wire.h"
#include "support/mariadb_pod_rehearsal.h"
#include "support/operator_api.h"
#include "support/real_kube_audit.h"
#include "support/real_kube_operators.h"
#include "support/serve_process.h"

namespace hasteward::platform::kubernetes {
namespace {

using nlohmann::json;

// deploy/ applied to a real server with the secret reader bound in "db" (not in "other"), the
// operator's kubeconfig (default namespace "db").
std::unique_ptr<testing::OperatorApi> StartDeployed() {
  auto api = testing::OperatorApi::Start("db", {"db"});
  EXPECT_TRUE(api.ok()) << api.status().ToString();
  return api.ok() ? std::make_unique<testing::OperatorApi>(std::move(api).value()) : nullptr;
}

void Create(testing::OperatorApi& api, const json& object) {
  auto created = testing::CreateWithStatus(api.node(), object);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
}

TEST(DeployRbacTest, TheOperatorAccountGetsExactlyWhatDeployGrants) {
  auto api = StartDeployed();
  ASSERT_NE(api, nullptr);
  ASSERT_TRUE(api->api().CreateNamespace("other").ok());
  for (const char* ns : {"db", "other"}) {
    ASSERT_NO_FATAL_FAILURE(
        Create(*api, testing::SecretObject(ns, "pg-superuser", {{"password", "pw"}})));
  }
  auto config = LoadKubeconfig(api->env().at("KUBECONFIG"));
  ASSERT_TRUE(config.ok());
  KubeClient client(*config);

  // ClusterRole hasteward-operator: pods read in any namespace; created and deleted only as the
  // Galera heal's helper pods (a pod's own update is never granted).
  EXPECT_TRUE(client.List(resources::kPods, "db").ok());
  EXPECT_TRUE(client.List(resources::kPods, "other").ok());
  EXPECT_TRUE(client.Delete(resources::kPods, "db", "pg-1").ok()) << "helper pods are deleted";
  EXPECT_EQ(client.Patch(resources::kPods, "db", "pg-1", PatchType::kMerge, {{"metadata", {}}})
                .status()
                .code(),
            core::ErrorCode::kAuthFailed);
  EXPECT_EQ(client.List(resources::kPersistentVolumeClaims, "db").status().code(),
            core::ErrorCode::kAuthFailed)
      << "no code touches PVCs: the heal mounts them through a helper pod";
  EXPECT_TRUE(client.List(resources::kCnpgClusters, "db").ok());
  EXPECT_TRUE(client.List(resources::kMariaDbs, "db").ok());
  EXPECT_EQ(client.List(resources::kStatefulSets, "db").status().code(),
            core::ErrorCode::kAuthFailed)
      << "statefulsets: get and patch only";
  // Secrets: get, only in the namespaces bound by a RoleBinding; never list.
  EXPECT_TRUE(client.Get(resources::kSecrets, "db", "pg-superuser").ok());
  EXPECT_EQ(client.Get(resources::kSecrets, "other", "pg-superuser").status().code(),
            core::ErrorCode::kAuthFailed);
  EXPECT_EQ(client.List(resources::kSecrets, "db").status().code(), core::ErrorCode::kAuthFailed);
  // Its BackupPolicy/BackupRepository resources: listed, and only their status written.
  EXPECT_TRUE(client.List(resources::kBackupPolicies, "").ok());
  EXPECT_TRUE(client.List(resources::kBackupRepositories, "").ok());
  EXPECT_TRUE(client.List(resources::kStandbyClusters, "").ok());
  EXPECT_EQ(client
                .Patch(resources::kStandbyClusters, "", "s", PatchType::kMerge,
                       {{"spec", {{"freshness", {{"suspend", true}}}}}})
                .status()
                .code(),
            core::ErrorCode::kAuthFailed)
      << "the operator never writes a standby's spec";
  EXPECT_EQ(client
                .Patch(resources::kBackupPolicies, "", "p", PatchType::kMerge,
                       {{"spec", {{"mode", "repair"}}}})
                .status()
                .code(),
            core::ErrorCode::kAuthFailed)
      << "the operator never writes a policy's spec";
  EXPECT_EQ(client.Get(resources::kBackupRepositories, "", "r").status().code(),
            core::ErrorCode::kAuthFailed)
      << "list and watch only";
  // The leader Lease: by name, in the operator's namespace only.
  EXPECT_EQ(client.Get(resources::kLeases, testing::kDeployNamespace, testing::kDeployLeaseName)
                .status()
                .code(),
            core::ErrorCode::kNotFound)
      << "allowed, and absent";
  EXPECT_EQ(client.Get(resources::kLeases, testing::kDeployNamespace, "other").status().code(),
            core::ErrorCode::kAuthFailed);
  EXPECT_EQ(client.Get(resources::kLeases, "db", testing::kDeployLeaseName).status().code(),
            core::ErrorCode::kAuthFailed);
}

// The other half of least privilege: every grant of deploy/ is used. The flows of the kubernetes
// platform (discovery of both operators' clusters, Secrets, pod exec, the Galera heal's stop and
// start of a mariadb-operator pod with its helper pod, the leader Lease of
// `serve`, its BackupPolicy/BackupRepository resources and their status) run as the operator's
// ServiceAccount, and the grants they used are exactly the grants deploy/ gives it. A rule added
// without code that needs it (or code needing a rule deploy/ lacks) fails here.
TEST(DeployRbacTest, EveryGrantIsUsedByTheKubernetesCode) {
  auto api = StartDeployed();
  ASSERT_NE(api, nullptr);
  ASSERT_NO_FATAL_FAILURE(Create(*api, {{"apiVersion", "postgresql.cnpg.io/v1"},
                                        {"kind", "Cluster"},
                                        {"metadata", {{"name", "pg"}, {"namespace", "db"}}},
                                        {"spec", {{"instances", 1}}},
                                        {"status", {{"currentPrimary", "pg-1"}}}}));
  ASSERT_NO_FATAL_FAILURE(
      Create(*api, testing::OperatorPod("db", "pg-1", {{"cnpg.io/cluster", "pg"}}, "postgres",
                                        "postgresql", 5432)));
  ASSERT_NO_FATAL_FAILURE(
      Create(*api, testing::SecretObject("db", "pg-superuser", {{"password", "pw"}})));
  ASSERT_NO_FATAL_FAILURE(Create(
      *api,
      {{"apiVersion", "k8s.mariadb.com/v1alpha1"},
       {"kind", "MariaDB"},
       {"metadata", {{"name", "maria"}, {"namespace", "db"}}},
       {"spec", {{"rootPasswordSecretKeyRef", {{"name", "pg-superuser"}, {"key", "password"}}}}}}));
  ASSERT_NO_FATAL_FAILURE(Create(*api, testing::MariaDbStatefulSet("db", "maria", 2)));
  for (const char* pod : {"maria-0", "maria-1"}) {
    ASSERT_NO_FATAL_FAILURE(
        Create(*api, testing::OperatorPod("db", pod, {{"app.kubernetes.io/instance", "maria"}},
                                          "mariadb", "", 3306)));
  }
  auto config = LoadKubeconfig(api->env().at("KUBECONFIG"));
  ASSERT_TRUE(config.ok());
  KubernetesPlatform platform(*config, [](const std::string& name) -> std::optional<std::string> {
    return name == "POD_NAMESPACE" ? std::optional<std::string>(testing::kDeployNamespace)
                                   : std::nullopt;
  });

  auto all = platform.ListClusters();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2U);
  auto pg = platform.FindCluster("db", "pg");
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  auto maria = platform.FindCluster("db", "maria");
  ASSERT_TRUE(maria.ok()) << maria.status().ToString();
  // Repair's Galera heal stops a mariadb-operator pod, runs commands in its helper pod and starts
  // it again (suspend, StatefulSet scaling, helper pod create/delete).
  auto second = platform.OpenInstance(*maria, maria->instances[1]);
  ASSERT_TRUE(second.ok());
  core::Status rehearsed = testing::RehearseMariaDbPodHeal(api->node(), **second);
  EXPECT_TRUE(rehearsed.ok()) << rehearsed.ToString();
  ASSERT_TRUE(pg->credentials.password.Resolve().ok());
  auto handle = platform.OpenInstance(*pg, pg->instances[0]);
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE((*handle)->IsRunning().ok());
  auto run = (*handle)->Run({"true"});
  ASSERT_TRUE(run.ok() && run->status.ok()) << run.status().ToString();
  // The CLI's SQL sessions: a connection to the endpoint is a port-forward session.
  const int sessions = api->AllowedOperatorRequests("pods/portforward", 0);
  auto connection = testing::ConnectLoopback((*handle)->endpoint().port);
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  connection->Reset();  // a port-forward is logged when its stream ends
  EXPECT_GT(api->AllowedOperatorRequests("pods/portforward", sessions + 1), sessions);
  // Repair fences a CNPG instance through its Cluster (no instance manager here to answer).
  EXPECT_EQ((*handle)->Fence(std::chrono::milliseconds(100)).code(), core::ErrorCode::kTimeout);

  // `switchover` asks CNPG for a new primary through the Cluster's status (no operator here to
  // act on it).
  auto promote = platform.OpenOperatorSwitchover(*pg);
  ASSERT_TRUE(promote.ok()) << promote.status().ToString();
  core::Status asked = (*promote)->RequestPrimary(pg->instances[0]);
  EXPECT_TRUE(asked.ok()) << asked.ToString();

  // `serve` leaves an Event on the CR for each job.
  ASSERT_TRUE(platform.RecordEvent(*pg, {ClusterEventType::kNormal, "BackupSucceeded", "ok"}).ok());
  // `serve` watches both CR kinds for the opt-in annotations.
  auto feed = platform.WatchClusters();
  ASSERT_TRUE(feed.ok() && *feed) << feed.status().ToString();
  ASSERT_TRUE(core::PollUntil(
      [&] {
        auto used = api->OperatorGrantsUsed();
        return used.count("watch postgresql.cnpg.io clusters") &&
               used.count("watch k8s.mariadb.com mariadbs");
      },
      std::chrono::seconds(10)));
  feed->reset();

  // `serve` lists and watches its BackupPolicy/BackupRepository/StandbyCluster resources and
  // writes their status.
  // Valid objects of each kind (the CRDs' schemas refuse empty specs).
  const json secret = {{"name", "s"}, {"namespace", "db"}};
  const std::vector<std::pair<KubeResource, json>> specs = {
      {resources::kBackupPolicies, {{"repositories", {"p"}}}},
      {resources::kBackupRepositories,
       {{"restic", {{"repository", "/backups/p"}, {"passwordSecretRef", secret}}}}},
      {resources::kStandbyClusters,
       {{"source",
         {{"repository", "/backups/p"},
          {"passwordSecretRef", secret},
          {"cluster", {{"engine", "cnpg"}, {"namespace", "db"}, {"name", "pg"}}}}},
        {"template", {{"engine", "cnpg"}, {"name", "pg-dr"}}}}}};
  for (const auto& [res, spec] : specs) {
    auto created =
        api->admin().Create(res, "",
                            {{"apiVersion", "clinic.hasteward.prplanit.com/v1alpha1"},
                             {"kind", res.plural == "backuppolicies"       ? "BackupPolicy"
                                      : res.plural == "backuprepositories" ? "BackupRepository"
                                                                           : "StandbyCluster"},
                             {"metadata", {{"name", "p"}}},
                             {"spec", spec}});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  auto crds = platform.OpenOperatorResources();
  ASSERT_TRUE(crds.ok() && *crds) << crds.status().ToString();
  for (auto kind : {OperatorResourceKind::kBackupPolicy, OperatorResourceKind::kBackupRepository,
                    OperatorResourceKind::kStandbyCluster}) {
    ASSERT_TRUE((*crds)->List(kind).ok());
    ASSERT_TRUE((*crds)->WriteStatus(kind, "p", {{"observedGeneration", 1}}).ok());
  }
  ASSERT_TRUE(core::PollUntil(
      [&] {
        auto used = api->OperatorGrantsUsed();
        return used.count("watch clinic.hasteward.prplanit.com backuppolicies") &&
               used.count("watch clinic.hasteward.prplanit.com backuprepositories") &&
               used.count("watch clinic.hasteward.prplanit.com standbyclusters");
      },
      std::chrono::seconds(10)));
  crds->reset();

  LeaderElectionSettings settings;
  settings.lease_duration = std::chrono::milliseconds(1200);
  settings.renew_deadline = std::chrono::milliseconds(800);
  settings.retry_period = std::chrono::milliseconds(100);
  auto election = platform.OpenLeaderElection(settings);
  ASSERT_TRUE(election.ok() && *election) << election.status().ToString();
  (*election)->Start();
  ASSERT_TRUE(core::PollUntil([&] { return (*election)->Leading(); }, std::chrono::seconds(5)));
  ASSERT_TRUE((*election)->Stop().ok());

  // Every grant of deploy/'s roles was used by a request the server allowed, and none was
  // refused (404s are answers: the heal looks for pods that are gone).
  std::set<testing::KubeGrant> granted;
  for (const auto& [kind, name, ns] :
       {std::tuple{"clusterrole", "hasteward-operator", ""},
        std::tuple{"clusterrole", "hasteward-secret-reader", ""},
        std::tuple{"role", "hasteward-leader-election", testing::kDeployNamespace}}) {
    std::vector<std::string> args = {"get", kind, name, "-o", "json"};
    if (*ns != '\0') {
      args.insert(args.end(), {"-n", ns});
    }
    auto role = api->api().Kubectl(args);
    ASSERT_EQ(role.exit_code, 0) << role.err;
    for (const auto& grant : testing::GrantsOf(json::parse(role.out))) {
      granted.insert(grant);
    }
  }
  const auto requests = api->OperatorRequests();
  testing::ExpectEveryGrantUsedAndNoneRefused(granted, requests);
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
