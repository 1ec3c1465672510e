#include "platform/kubernetes/operator_discovery.h"

#include <algorithm>
#include <map>
#include <optional>

#include "core/hex.h"
#include "platform/kubernetes/cluster_events.h"
#include "platform/peer_address.h"

namespace hasteward::platform::kubernetes {
namespace {

using nlohmann::json;

// CloudNativePG: pods carry cnpg.io/cluster; the role is cnpg.io/instanceRole (since 1.18) and
// the older `role` label; the database container is "postgres" with a port named "postgresql".
constexpr char kCnpgClusterLabel[] = "cnpg.io/cluster";
constexpr char kCnpgRoleLabel[] = "cnpg.io/instanceRole";
constexpr char kCnpgLegacyRoleLabel[] = "role";
constexpr char kCnpgContainer[] = "postgres";
constexpr char kCnpgPortName[] = "postgresql";
constexpr int kPostgresPort = 5432;
// PGDATA in every CloudNativePG instance pod (the PVC is mounted at /var/lib/postgresql/data):
// triage reads pg_control and the WAL history there through exec.
constexpr char kCnpgDataDir[] = "/var/lib/postgresql/data/pgdata";
// mariadb-operator: pods carry app.kubernetes.io/instance; the container is "mariadb".
constexpr char kMariaDbInstanceLabel[] = "app.kubernetes.io/instance";
constexpr char kMariaDbContainer[] = "mariadb";
constexpr int kMariaDbPort = 3306;
// mariadb-operator mounts the storage PVC at /var/lib/mysql (galera triage reads grastate.dat).
constexpr char kMariaDbDataDir[] = "/var/lib/mysql";
// More than any StatefulSet a MariaDB runs; bounds what a damaged spec.replicas can list.
constexpr int kMaxDeclaredReplicas = 64;

std::string StringAt(const json& object, const json::json_pointer& path) {
  if (!object.contains(path) || !object.at(path).is_string()) {
    return "";
  }
  return object.at(path).get<std::string>();
}

// The container's port named `port_name`, else its first port, else `fallback`.
int ContainerPort(const json& pod, const std::string& container, const std::string& port_name,
                  int fallback) {
  const json containers = pod.value("/spec/containers"_json_pointer, json::array());
  for (const auto& c : containers) {
    if (c.value("name", "") != container || !c.contains("ports")) {
      continue;
    }
    int first = 0;
    for (const auto& p : c["ports"]) {
      int number = p.value("containerPort", 0);
      if (!port_name.empty() && p.value("name", "") == port_name) {
        return number;
      }
      first = first == 0 ? number : first;
    }
    if (first != 0) {
      return first;
    }
  }
  return fallback;
}

// Pods in name order (pg-1, pg-2, ... as the operators number them), each an instance.
std::vector<json> SortedPods(const json& pods) {
  std::vector<json> out;
  for (const auto& p : pods.value("items", json::array())) {
    out.push_back(p);
  }
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) {
    std::string an = StringAt(a, "/metadata/name"_json_pointer);
    std::string bn = StringAt(b, "/metadata/name"_json_pointer);
    // Numeric suffixes compare by length first so "pg-10" follows "pg-9".
    return an.size() != bn.size() ? an.size() < bn.size() : an < bn;
  });
  return out;
}

Instance InstanceFromPod(const json& pod, int ordinal, const std::string& container,
                         const std::string& port_name, int default_port) {
  Instance i;
  i.name = StringAt(pod, "/metadata/name"_json_pointer);
  i.ordinal = ordinal;
  // The pod IP: HASteward runs in the cluster (or reaches the pod network) like the operators.
  i.host = StringAt(pod, "/status/podIP"_json_pointer);
  i.port = ContainerPort(pod, container, port_name, default_port);
  i.labels[kPodLabel] = i.name;
  i.labels[kContainerLabel] = container;
  // A StatefulSet's pod: hostname and subdomain (its governing Service) give it a DNS name.
  const std::string hostname = StringAt(pod, "/spec/hostname"_json_pointer);
  const std::string subdomain = StringAt(pod, "/spec/subdomain"_json_pointer);
  const std::string ns = StringAt(pod, "/metadata/namespace"_json_pointer);
  if (!hostname.empty() && !subdomain.empty() && !ns.empty()) {
    i.labels[kStableHostLabel] = hostname + "." + subdomain + "." + ns + ".svc";
  }
  return i;
}

core::Result<std::string> SecretValue(const KubeClient& client, const std::string& ns,
                                      const std::string& name, const std::string& key) {
  auto secret = client.Get(resources::kSecrets, ns, name);
  if (!secret.ok()) {
    return secret.TakeStatus().Wrap("read Secret '" + ns + "/" + name + "'");
  }
  const json data = secret->value("data", json::object());
  if (!data.contains(key) || !data[key].is_string()) {
    return core::NotFound("Secret '" + ns + "/" + name + "' has no key '" + key + "'",
                          "check the operator's credentials Secret");
  }
  auto decoded = core::Base64Decode(data[key].get<std::string>());
  if (!decoded) {
    return core::Usage("Secret '" + ns + "/" + name + "' key '" + key + "' is not base64",
                       "check the Secret's data");
  }
  return core::AsString(*decoded);
}

// metadata.annotations, string values only (the API allows nothing else; a malformed object
// must not make the cluster undiscoverable).
std::map<std::string, std::string> AnnotationsOf(const json& object) {
  std::map<std::string, std::string> out;
  auto found = object.find("metadata");
  if (found == object.end() || !found->is_object())
    return out;
  auto annotations = found->find("annotations");
  if (annotations == found->end() || !annotations->is_object())
    return out;
  for (const auto& [key, value] : annotations->items()) {
    if (value.is_string())
      out[key] = value.get<std::string>();
  }
  return out;
}

// The StatefulSet ordinal of pod `name` of MariaDB `mariadb` ("db-2" is 2); nullopt for a name
// of another shape.
std::optional<int> MariaDbOrdinal(const std::string& mariadb, const std::string& name) {
  const std::string prefix = mariadb + "-";
  if (name.size() <= prefix.size() || name.size() > prefix.size() + 6 ||
      name.compare(0, prefix.size(), prefix) != 0 ||
      name.find_first_not_of("0123456789", prefix.size()) != std::string::npos) {
    return std::nullopt;
  }
  return std::stoi(name.substr(prefix.size()));
}

// One instance per StatefulSet ordinal the MariaDB declares (spec.replicas), whether its pod
// exists or not, plus any other pod found. Why not only the pods: mariadb-operator keeps a server
// down only by scaling its pod away (mariadb_scaling.h), and an instance stopped that way is still
// part of the cluster, its data on its volume claim (a restore writes it, a repair heals it). An
// instance without a pod has no address; reaching it fails, and IsRunning says false.
std::vector<Instance> MariaDbInstances(const json& cr, const json& pods, int port) {
  const std::string name = StringAt(cr, "/metadata/name"_json_pointer);
  std::map<int, json> by_ordinal;
  std::vector<json> unnumbered;
  for (auto& pod : SortedPods(pods)) {
    auto ordinal = MariaDbOrdinal(name, StringAt(pod, "/metadata/name"_json_pointer));
    if (ordinal) {
      by_ordinal[*ordinal] = std::move(pod);
    } else {
      unnumbered.push_back(std::move(pod));
    }
  }
  const json declared = cr.value("/spec/replicas"_json_pointer, json(1));
  const int replicas = declared.is_number_integer() ? declared.get<int>() : 1;
  for (int ordinal = 0; ordinal < replicas && ordinal < kMaxDeclaredReplicas; ++ordinal) {
    if (!by_ordinal.count(ordinal)) {
      json absent = {{"metadata", {{"name", name + "-" + std::to_string(ordinal)}}}};
      by_ordinal[ordinal] = std::move(absent);
    }
  }
  std::vector<Instance> out;
  out.reserve(by_ordinal.size() + unnumbered.size());
  for (const auto& [ordinal, pod] : by_ordinal) {
    out.push_back(InstanceFromPod(pod, ordinal, kMariaDbContainer, "", port));
  }
  int next = by_ordinal.empty() ? 0 : by_ordinal.rbegin()->first + 1;
  for (const auto& pod : unnumbered) {
    out.push_back(InstanceFromPod(pod, next++, kMariaDbContainer, "", port));
  }
  return out;
}

}  // namespace

std::string CnpgPodSelector(const std::string& cluster_name) {
  return std::string(kCnpgClusterLabel) + "=" + cluster_name;
}

std::string MariaDbPodSelector(const std::string& cluster_name) {
  return std::string(kMariaDbInstanceLabel) + "=" + cluster_name;
}

SecretRef KubeSecretRef(std::shared_ptr<const KubeClient> client, const std::string& ns,
                        const std::string& name, const std::string& key) {
  return SecretRef::Fetched([client = std::move(client), ns, name, key]() {
    return SecretValue(*client, ns, name, key);
  });
}

core::Result<Cluster> ClusterFromCnpg(std::shared_ptr<const KubeClient> client, const json& cr,
                                      const json& pods) {
  Cluster c;
  c.name = StringAt(cr, "/metadata/name"_json_pointer);
  c.ns = StringAt(cr, "/metadata/namespace"_json_pointer);
  c.engine = EngineKind::kPostgres;
  c.options[kOperatorOption] = kCnpgOperator;
  if (std::string uid = StringAt(cr, "/metadata/uid"_json_pointer); !uid.empty())
    c.options[kUidOption] = uid;
  c.annotations = AnnotationsOf(cr);
  const std::string primary = StringAt(cr, "/status/currentPrimary"_json_pointer);
  int ordinal = 0;
  for (const auto& pod : SortedPods(pods)) {
    Instance i = InstanceFromPod(pod, ordinal++, kCnpgContainer, kCnpgPortName, kPostgresPort);
    std::string role = StringAt(pod, json::json_pointer("/metadata/labels") / kCnpgRoleLabel);
    if (role.empty()) {
      role = StringAt(pod, json::json_pointer("/metadata/labels") / kCnpgLegacyRoleLabel);
    }
    if (role.empty() && !primary.empty()) {
      role = i.name == primary ? "primary" : "replica";
    }
    if (!role.empty()) {
      i.labels["role"] = role;
    }
    i.os_user = "postgres";
    i.data_dir = kCnpgDataDir;
    i.settings_owner = SettingsOwner::kOperator;
    c.instances.push_back(std::move(i));
  }
  // spec.superuserSecret.name overrides the Secret the operator creates, <cluster>-superuser
  // (kubernetes.io/basic-auth: username and password keys; present with enableSuperuserAccess).
  std::string secret = StringAt(cr, "/spec/superuserSecret/name"_json_pointer);
  if (secret.empty()) {
    secret = c.name + "-superuser";
  }
  auto user = SecretValue(*client, c.ns, secret, "username");
  if (!user.ok() && user.status().code() != core::ErrorCode::kNotFound) {
    return user.TakeStatus();
  }
  // A missing Secret is not fatal for discovery (triage of a cluster without superuser access
  // still lists it); connecting then fails naming the Secret.
  c.credentials.user = user.ok() ? *user : "postgres";
  // CloudNativePG makes <cluster>-superuser only with spec.enableSuperuserAccess (false by default
  // since 1.21, what its own example cluster has: found on the real operator, issue 51): a missing
  // Secret then says how to grant the access rather than only that it is missing.
  const bool access = cr.value("/spec/enableSuperuserAccess"_json_pointer, false) ||
                      !StringAt(cr, "/spec/superuserSecret/name"_json_pointer).empty();
  if (access) {
    c.credentials.password = KubeSecretRef(std::move(client), c.ns, secret, "password");
    return c;
  }
  c.credentials.password = SecretRef::Fetched([client = std::move(client), ns = c.ns, name = c.name,
                                               secret]() -> core::Result<std::string> {
    auto password = SecretValue(*client, ns, secret, "password");
    if (password.ok() || password.status().code() != core::ErrorCode::kNotFound) {
      return password;
    }
    return core::NotFound(
        "CloudNativePG Cluster '" + ns + "/" + name +
            "' grants no superuser access (spec.enableSuperuserAccess is false, the "
            "operator's default), so its Secret '" +
            secret + "' does not exist",
        "kubectl -n " + ns + " patch clusters.postgresql.cnpg.io " + name +
            " --type=merge -p '{\"spec\":{\"enableSuperuserAccess\":true}}' (or name a "
            "superuser's Secret in spec.superuserSecret)");
  });
  return c;
}

core::Result<Cluster> ClusterFromMariaDb(std::shared_ptr<const KubeClient> client, const json& cr,
                                         const json& pods) {
  Cluster c;
  c.name = StringAt(cr, "/metadata/name"_json_pointer);
  c.ns = StringAt(cr, "/metadata/namespace"_json_pointer);
  const bool galera = cr.value("/spec/galera/enabled"_json_pointer, false);
  c.engine = galera ? EngineKind::kGalera : EngineKind::kMariadb;
  c.options[kOperatorOption] = kMariaDbOperator;
  if (std::string uid = StringAt(cr, "/metadata/uid"_json_pointer); !uid.empty())
    c.options[kUidOption] = uid;
  c.annotations = AnnotationsOf(cr);
  const int port = cr.value("/spec/port"_json_pointer, kMariaDbPort);
  // status.currentPrimary names the primary pod of a replication cluster.
  const std::string primary = StringAt(cr, "/status/currentPrimary"_json_pointer);
  for (Instance& i : MariaDbInstances(cr, pods, port)) {
    if (!galera && !primary.empty()) {
      i.labels["role"] = i.name == primary ? "primary" : "replica";
    }
    i.os_user = "mysql";
    i.data_dir = kMariaDbDataDir;
    c.instances.push_back(std::move(i));
  }
  const std::string secret = StringAt(cr, "/spec/rootPasswordSecretKeyRef/name"_json_pointer);
  const std::string key = StringAt(cr, "/spec/rootPasswordSecretKeyRef/key"_json_pointer);
  if (secret.empty() || key.empty()) {
    return core::Usage(
        "MariaDB '" + c.ns + "/" + c.name + "' has no spec.rootPasswordSecretKeyRef name and key",
        "the operator defaults it; check that the resource was reconciled");
  }
  c.credentials.user = "root";
  c.credentials.password = KubeSecretRef(std::move(client), c.ns, secret, key);
  return c;
}

}  // namespace hasteward::platform::kubernetes
