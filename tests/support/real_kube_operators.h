// Operator-shaped objects on a real kube-apiserver (issue 50): a sandbox cluster published as a
// CloudNativePG Cluster or a mariadb-operator MariaDB with its pods (bound to a RealKubeNode,
// each backed by one real local instance: exec runs as its OS user, the pod's port is the
// instance's), its StatefulSet and credentials Secret, as the operators create them. The real
// server applies the pinned releases' CRD schemas to every object (RealKubeOperatorCrds first).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "support/real_kube_api.h"
#include "support/real_kube_node.h"
#include "support/sandbox_cluster.h"

namespace hasteward::testing {

// Serves the pinned CloudNativePG and mariadb-operator CRDs (from their modules) and waits until
// they are Established.
core::Status ServeOperatorCrds(const RealKubeApi& api);

// Creates `object` (a Cluster, MariaDB, StatefulSet, Secret or Pod, with metadata.namespace) as
// its owner would, then its status as its controller reports it: a custom resource or StatefulSet
// is created without status and the status written through the status subresource; a Pod is
// bound to `node` and Running (ready as its containerStatuses say, its commands run as given).
// Returns the object as stored.
core::Result<nlohmann::json> CreateWithStatus(RealKubeNode& node, nlohmann::json object);

// Publishes a PostgreSQL sandbox as CNPG Cluster `sandbox.cluster().name` in `ns`: the CR (status
// currentPrimary and targetPrimary = the first pod, as the operator reports them), pods
// <name>-1.. on `node` (instanceRole primary for the first), the <name>-superuser Secret, and an
// executor per pod running commands as the instance's OS user.
core::Status PublishSandboxAsCnpg(RealKubeNode& node, const SandboxCluster& sandbox,
                                  const std::string& ns);

// Publishes a MariaDB or Galera sandbox as mariadb-operator MariaDB `sandbox.cluster().name` in
// `ns`: the CR (galera.enabled for Galera, status.currentPrimary = <name>-0), pods <name>-0..
// on `node` with the instances' ports, their StatefulSet <name> (claim template "storage" at
// kMariaDbPodDataDir), the root Secret <name>-root (key "password"), and 'root'@'127.0.0.1'
// created in the database with that password (the operator's root account).
core::Status PublishSandboxAsMariaDb(RealKubeNode& node, const SandboxCluster& sandbox,
                                     const std::string& ns);

}  // namespace hasteward::testing
