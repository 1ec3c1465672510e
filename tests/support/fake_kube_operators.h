// The pieces of operator-shaped objects (pods, Secrets, the StatefulSet mariadb-operator makes) and
// how a pod's exec maps onto a sandbox instance; real_kube_operators.h publishes sandbox clusters
// with them on a real kube-apiserver (the fields follow the upstream CRDs, whose schemas the real
// server applies).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "support/fake_kube_exec.h"
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

}  // namespace hasteward::testing
