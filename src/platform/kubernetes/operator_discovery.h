// Discovery of database clusters from the custom resources of the operators that own them: the
// CloudNativePG `postgresql.cnpg.io/v1 Cluster` and the mariadb-operator
// `k8s.mariadb.com/v1alpha1 MariaDB`, their pods, and the Secrets holding their superuser
// credentials. The CR fields read here are pinned against the upstream CRD schemas in
// tests/platform/kubernetes/operator_discovery_test.cpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "platform/cluster.h"
#include "platform/kubernetes/kube_client.h"

namespace hasteward::platform::kubernetes {

// Instance labels set by discovery (besides "role"): the pod and its database container, which
// the instance handle execs into.
inline constexpr char kPodLabel[] = "kubernetes.pod";
inline constexpr char kContainerLabel[] = "kubernetes.container";
// Cluster option naming the operator that owns the cluster ("cloudnative-pg", "mariadb-operator").
inline constexpr char kOperatorOption[] = "kubernetes.operator";
inline constexpr char kCnpgOperator[] = "cloudnative-pg";
inline constexpr char kMariaDbOperator[] = "mariadb-operator";

// The cluster a CNPG Cluster CR describes, with `pods` (those labelled cnpg.io/cluster=<name>).
// Instances are ordered by pod name; ordinal 0 is the first. The password is fetched from the
// superuser Secret when a connection is made (`client` must outlive the cluster).
core::Result<Cluster> ClusterFromCnpg(std::shared_ptr<const KubeClient> client,
                                      const nlohmann::json& cr, const nlohmann::json& pods);
// The cluster a MariaDB CR describes (galera when spec.galera.enabled), with `pods` (those
// labelled app.kubernetes.io/instance=<name>).
core::Result<Cluster> ClusterFromMariaDb(std::shared_ptr<const KubeClient> client,
                                         const nlohmann::json& cr, const nlohmann::json& pods);

// The label selectors that find each operator's pods.
std::string CnpgPodSelector(const std::string& cluster_name);
std::string MariaDbPodSelector(const std::string& cluster_name);

// A secret reference resolved through the API at connection time (never written to disk):
// `key` of Secret `ns/name`, base64-decoded.
SecretRef KubeSecretRef(std::shared_ptr<const KubeClient> client, const std::string& ns,
                        const std::string& name, const std::string& key);

}  // namespace hasteward::platform::kubernetes
