// Operator-shaped objects for FakeKubeApi: a CloudNativePG Cluster or a mariadb-operator MariaDB
// with its pods and credentials Secret, as the operators create them (the fields follow the
// upstream CRDs; see tests/platform/kubernetes/operator_discovery_test.cpp). A sandbox cluster can
// be published this way: each pod is backed by one real local instance (exec runs as its OS user,
// the pod's port is the instance's).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "support/fake_kube_api.h"
#include "support/sandbox_cluster.h"

namespace hasteward::testing {

// The RBAC the kubernetes platform needs (tests/platform/kubernetes/platform_rbac.yaml): a
// service account "hasteward/hasteward" bound in namespace kPlatformNamespace.
inline constexpr char kPlatformNamespace[] = "db";
inline constexpr char kPlatformServiceAccountToken[] = "hasteward-platform-token";
std::string PlatformRbacFile();

// A pod of `cluster_name` on 127.0.0.1:`port`, Running, with `labels` and one container.
nlohmann::json OperatorPod(const std::string& ns, const std::string& name,
                           const nlohmann::json& labels, const std::string& container,
                           const std::string& port_name, int port);
// A kubernetes.io/basic-auth style Secret (values base64-encoded as the API stores them).
nlohmann::json SecretObject(const std::string& ns, const std::string& name,
                            const std::map<std::string, std::string>& values);

// The StatefulSet mariadb-operator creates for MariaDB `name`: the same name, its template's
// "mariadb" container mounting volume claim template "storage" at kMariaDbPodDataDir (PVCs
// storage-<pod>), `replicas` pods.
nlohmann::json MariaDbStatefulSet(const std::string& ns, const std::string& name, size_t replicas);

// Where the operators' images keep the data directory (the PVC mount), as discovery assumes.
inline constexpr char kCnpgPodDataDir[] = "/var/lib/postgresql/data/pgdata";
inline constexpr char kMariaDbPodDataDir[] = "/var/lib/mysql";

// How a pod backed by sandbox `instance` runs exec commands: as the instance's OS user, a bare
// command name found in the instance's bin_dir (the image's PATH), and paths below
// `container_data_dir` mapped to the instance's data directory (the volume mount) wherever an
// argument names them, also inside a command a shell runs.
core::Result<FakePodExecutor> SandboxPodExecutor(const platform::Instance& instance,
                                                 const std::string& container_data_dir);

// Publishes a PostgreSQL sandbox as CNPG Cluster `sandbox.cluster().name` in `ns`: the CR (status
// currentPrimary = the first pod), pods <name>-1.. (instanceRole primary for the first), the
// <name>-superuser Secret, and an executor per pod running commands as the instance's OS user.
core::Status PublishSandboxAsCnpg(FakeKubeApi& api, const SandboxCluster& sandbox,
                                  const std::string& ns);

// Publishes a MariaDB or Galera sandbox as mariadb-operator MariaDB `sandbox.cluster().name` in
// `ns`: the CR (galera.enabled for Galera, status.currentPrimary = <name>-0), pods <name>-0..
// with the instances' ports, their StatefulSet <name> (claim template "storage" at
// kMariaDbPodDataDir), the root Secret <name>-root (key "password"), and 'root'@'127.0.0.1'
// created in the database with that password (the operator's root account).
core::Status PublishSandboxAsMariaDb(FakeKubeApi& api, const SandboxCluster& sandbox,
                                     const std::string& ns);

}  // namespace hasteward::testing
