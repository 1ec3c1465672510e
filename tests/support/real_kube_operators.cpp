#include "support/real_kube_operators.h"

#include "core/poll_until.h"
#include "support/fake_kube_operators.h"

namespace hasteward::testing {

namespace k8s = platform::kubernetes;
using nlohmann::json;

core::Status ServeOperatorCrds(const RealKubeApi& api) {
  HS_ASSIGN_OR_RETURN(std::string manifests, RealKubeManifestsDir());
  for (const char* crds : {"/crds/cnpg.yaml", "/crds/mariadb-operator.yaml"}) {
    HS_TRY(api.ApplyServerSide(manifests + crds));
  }
  for (const char* crd : {"clusters.postgresql.cnpg.io", "mariadbs.k8s.mariadb.com"}) {
    CmdResult established = api.Kubectl(
        {"wait", "--for=condition=Established", "--timeout=60s", std::string("crd/") + crd});
    if (established.exit_code != 0) {
      return core::Internal(std::string("CRD ") + crd + " not Established: " + established.err);
    }
    HS_TRY(api.WaitServed(crd));
  }
  return core::Status::Ok();
}

namespace {

// A write the CRD's schema may refuse right after it was Established ("storage is
// (re)initializing", 429): retried for a few seconds, as the operators' clients retry.
core::Result<json> CreateObject(const k8s::KubeClient& admin, const k8s::KubeResource& res,
                                const std::string& ns, const json& object) {
  core::Result<json> created = core::Internal("not tried");
  for (int attempt = 0; attempt < 50; ++attempt) {
    created = admin.Create(res, ns, object);
    if (created.ok() || created.status().code() != core::ErrorCode::kUnreachable) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return created;
}

core::Status PatchStatus(const k8s::KubeClient& admin, const k8s::KubeResource& res,
                         const std::string& ns, const std::string& name, const json& status) {
  return admin.Patch(res, ns, name, k8s::PatchType::kMerge, {{"status", status}}, "status")
      .status();
}

// The resource of an object's kind among those the tests create.
core::Result<k8s::KubeResource> ResourceOfKind(const std::string& kind) {
  if (kind == "Cluster")
    return k8s::resources::kCnpgClusters;
  if (kind == "MariaDB")
    return k8s::resources::kMariaDbs;
  if (kind == "StatefulSet")
    return k8s::resources::kStatefulSets;
  if (kind == "Secret")
    return k8s::resources::kSecrets;
  if (kind == "Pod")
    return k8s::resources::kPods;
  return core::Internal("no resource known for kind '" + kind + "'");
}

}  // namespace

core::Result<json> CreateWithStatus(RealKubeNode& node, json object) {
  const std::string kind = object.value("kind", "");
  const std::string ns = object.value("/metadata/namespace"_json_pointer, std::string());
  const std::string name = object.value("/metadata/name"_json_pointer, std::string());
  const json status = object.value("status", json());
  if (kind == "Pod") {
    bool ready = true;
    for (const auto& container : status.value("containerStatuses", json::array())) {
      ready = ready && container.value("ready", true);
    }
    return node.CreatePod(std::move(object), {}, ready, status.value("podIP", "127.0.0.1"));
  }
  HS_ASSIGN_OR_RETURN(k8s::KubeResource res, ResourceOfKind(kind));
  object.erase("status");
  HS_ASSIGN_OR_RETURN(json created, CreateObject(node.admin(), res, ns, object));
  if (status.is_null() || kind == "Secret") {
    return created;
  }
  return node.admin().Patch(res, ns, name, k8s::PatchType::kMerge, {{"status", status}}, "status");
}

core::Status PublishSandboxAsCnpg(RealKubeNode& node, const SandboxCluster& sandbox,
                                  const std::string& ns) {
  const k8s::KubeClient& admin = node.admin();
  const platform::Cluster& cluster = sandbox.cluster();
  const std::string first_pod = cluster.name + "-1";
  HS_TRY(CreateObject(admin, k8s::resources::kCnpgClusters, ns,
                      {{"apiVersion", "postgresql.cnpg.io/v1"},
                       {"kind", "Cluster"},
                       {"metadata", {{"name", cluster.name}, {"namespace", ns}}},
                       {"spec",
                        {{"instances", cluster.instances.size()},
                         {"enableSuperuserAccess", true},
                         {"storage", {{"size", "1Gi"}}}}}})
             .status());
  HS_TRY(PatchStatus(admin, k8s::resources::kCnpgClusters, ns, cluster.name,
                     {{"currentPrimary", first_pod},
                      {"targetPrimary", first_pod},
                      {"phase", "Cluster in healthy state"}}));
  for (const auto& instance : cluster.instances) {
    const std::string pod = cluster.name + "-" + std::to_string(instance.ordinal + 1);
    json labels = {{"cnpg.io/cluster", cluster.name},
                   {"cnpg.io/instanceRole", instance.ordinal == 0 ? "primary" : "replica"}};
    json object = OperatorPod(ns, pod, labels, "postgres", "postgresql", instance.port);
    object["spec"]["containers"][0]["image"] = "ghcr.io/cloudnative-pg/postgresql:15";
    HS_ASSIGN_OR_RETURN(FakePodExecutor executor, SandboxPodExecutor(instance, kCnpgPodDataDir));
    HS_TRY(node.CreatePod(object, std::move(executor), /*ready=*/true).status());
  }
  return admin
      .Create(
          k8s::resources::kSecrets, ns,
          SecretObject(ns, cluster.name + "-superuser",
                       {{"username", cluster.credentials.user}, {"password", sandbox.password()}}))
      .status();
}

core::Status PublishSandboxAsMariaDb(RealKubeNode& node, const SandboxCluster& sandbox,
                                     const std::string& ns) {
  const k8s::KubeClient& admin = node.admin();
  const platform::Cluster& cluster = sandbox.cluster();
  const bool galera = cluster.engine == platform::EngineKind::kGalera;
  const std::string secret = cluster.name + "-root";
  // The operator's root account, reachable over TCP with the Secret's password (the sandbox's
  // admin password); created on the first instance and replicated (galera and async alike).
  HS_TRY(sandbox
             .Sql(0, "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '" +
                         sandbox.password() +
                         "'; GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;")
             .status());
  json spec = {{"replicas", cluster.instances.size()},
               {"port", cluster.instances.front().port},
               {"storage", {{"size", "1Gi"}}},
               {"galera", {{"enabled", galera}}},
               {"rootPasswordSecretKeyRef", {{"name", secret}, {"key", "password"}}}};
  if (galera && cluster.instances.size() % 2 == 0) {
    // The CRD refuses an even Galera cluster unless told (split-brain guard), as users must.
    spec["replicasAllowEvenNumber"] = true;
  }
  HS_TRY(CreateObject(admin, k8s::resources::kMariaDbs, ns,
                      {{"apiVersion", "k8s.mariadb.com/v1alpha1"},
                       {"kind", "MariaDB"},
                       {"metadata", {{"name", cluster.name}, {"namespace", ns}}},
                       {"spec", spec}})
             .status());
  HS_TRY(PatchStatus(admin, k8s::resources::kMariaDbs, ns, cluster.name,
                     {{"currentPrimary", cluster.name + "-0"}, {"currentPrimaryPodIndex", 0}}));
  HS_TRY(admin
             .Create(k8s::resources::kStatefulSets, ns,
                     MariaDbStatefulSet(ns, cluster.name, cluster.instances.size()))
             .status());
  // Pods <name>-0.. (StatefulSet ordinals); each declares its instance's port (all share the
  // pod IP 127.0.0.1 here, where a real cluster gives each pod its own IP and spec.port).
  for (const auto& instance : cluster.instances) {
    const std::string pod = cluster.name + "-" + std::to_string(instance.ordinal);
    json object = OperatorPod(ns, pod, {{"app.kubernetes.io/instance", cluster.name}}, "mariadb",
                              "", instance.port);
    object["spec"]["containers"][0]["image"] = "docker-registry1.mariadb.com/library/mariadb:10.11";
    object["spec"]["containers"][0]["volumeMounts"] = {
        {{"name", "storage"}, {"mountPath", kMariaDbPodDataDir}}};
    object["spec"]["volumes"] = {
        {{"name", "storage"}, {"persistentVolumeClaim", {{"claimName", "storage-" + pod}}}}};
    HS_ASSIGN_OR_RETURN(FakePodExecutor executor, SandboxPodExecutor(instance, kMariaDbPodDataDir));
    HS_TRY(node.CreatePod(object, std::move(executor), /*ready=*/true).status());
  }
  return admin
      .Create(k8s::resources::kSecrets, ns,
              SecretObject(ns, secret, {{"password", sandbox.password()}}))
      .status();
}

}  // namespace hasteward::testing
