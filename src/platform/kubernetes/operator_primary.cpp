#include "platform/kubernetes/operator_primary.h"

#include <chrono>

#include "core/clock.h"
#include "core/utc_time.h"
#include "platform/kubernetes/operator_discovery.h"

namespace hasteward::platform::kubernetes {
namespace {

using nlohmann::json;

std::string StringIn(const json& object, const json::json_pointer& where) {
  return object.contains(where) && object.at(where).is_string()
             ? object.at(where).get<std::string>()
             : "";
}

// "2026-11-26T22:50:01.123456Z": the microsecond UTC time CNPG writes into its timestamps.
std::string MicroTimestamp() {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    core::SystemClock::Get().Now().time_since_epoch())
                    .count();
  std::string seconds = core::Rfc3339Utc(micros / 1000000);                     // "...:01Z"
  std::string fraction = std::to_string(1000000 + micros % 1000000).substr(1);  // six digits
  return seconds.substr(0, seconds.size() - 1) + "." + fraction + "Z";
}

core::Status Pending(const Cluster& c, const OperatorPrimary& primary) {
  return core::Status(core::ErrorCode::kSafetyStop,
                      "the operator of '" + c.ns + "/" + c.name +
                          "' has a switchover pending already (current primary '" +
                          primary.current + "', target '" + primary.target + "')",
                      "wait until it settles (its current primary equals its target), then "
                      "run triage before asking again");
}

// CloudNativePG: status.currentPrimary / status.targetPrimary of the Cluster.
class CnpgTargetPrimary : public OperatorSwitchover {
 public:
  CnpgTargetPrimary(std::shared_ptr<const KubeClient> client, Cluster c)
      : client_(std::move(client)), cluster_(std::move(c)) {}

  std::string Describe() const override { return "CloudNativePG status.targetPrimary"; }
  // The instance manager switches over as the pod's own postgres process owner, through no
  // account a fence would touch.
  std::string DatabaseAccount() const override { return ""; }

  core::Result<OperatorPrimary> Primary() override {
    HS_ASSIGN_OR_RETURN(json cr,
                        client_->Get(resources::kCnpgClusters, cluster_.ns, cluster_.name));
    return Read(cr);
  }

  core::Status RequestPrimary(const Instance& candidate) override {
    // The read resourceVersion makes the patch fail when another writer changed the Cluster in
    // between (a second promote racing this one): then nothing is written and we refuse.
    HS_ASSIGN_OR_RETURN(json cr,
                        client_->Get(resources::kCnpgClusters, cluster_.ns, cluster_.name));
    OperatorPrimary primary = Read(cr);
    if (!primary.settled()) {
      return Pending(cluster_, primary);
    }
    json patch = {
        {"metadata", {{"resourceVersion", StringIn(cr, "/metadata/resourceVersion"_json_pointer)}}},
        {"status",
         {{"targetPrimary", candidate.name},
          {"targetPrimaryTimestamp", MicroTimestamp()},
          {"phase", "Switchover in progress"},
          {"phaseReason", "Switching over to " + candidate.name}}}};
    return client_
        ->Patch(resources::kCnpgClusters, cluster_.ns, cluster_.name, PatchType::kMerge, patch,
                "status")
        .status();
  }

 private:
  static OperatorPrimary Read(const json& cr) {
    OperatorPrimary out;
    out.current = StringIn(cr, "/status/currentPrimary"_json_pointer);
    out.target = StringIn(cr, "/status/targetPrimary"_json_pointer);
    if (out.target.empty()) {
      out.target = out.current;  // never switched over since it was created
    }
    return out;
  }

  std::shared_ptr<const KubeClient> client_;
  Cluster cluster_;
};

// mariadb-operator: spec.replication.primary.podIndex asked, status.currentPrimaryPodIndex run.
class MariaDbPrimaryPodIndex : public OperatorSwitchover {
 public:
  MariaDbPrimaryPodIndex(std::shared_ptr<const KubeClient> client, Cluster c)
      : client_(std::move(client)), cluster_(std::move(c)) {}

  std::string Describe() const override {
    return "mariadb-operator spec.replication.primary.podIndex";
  }
  // Its replication controller connects to every pod as root (the MariaDB's
  // rootPasswordSecretKeyRef) to lock, set read_only and reconfigure replication.
  std::string DatabaseAccount() const override { return "root"; }

  core::Result<OperatorPrimary> Primary() override {
    HS_ASSIGN_OR_RETURN(json cr, client_->Get(resources::kMariaDbs, cluster_.ns, cluster_.name));
    return Read(cr);
  }

  core::Status RequestPrimary(const Instance& candidate) override {
    HS_ASSIGN_OR_RETURN(json cr, client_->Get(resources::kMariaDbs, cluster_.ns, cluster_.name));
    OperatorPrimary primary = Read(cr);
    if (!primary.settled()) {
      return Pending(cluster_, primary);
    }
    HS_ASSIGN_OR_RETURN(int index, PodIndex(candidate.name));
    json patch = {
        {"metadata", {{"resourceVersion", StringIn(cr, "/metadata/resourceVersion"_json_pointer)}}},
        {"spec", {{"replication", {{"primary", {{"podIndex", index}}}}}}}};
    return client_
        ->Patch(resources::kMariaDbs, cluster_.ns, cluster_.name, PatchType::kMerge, patch)
        .status();
  }

 private:
  // The StatefulSet ordinal of pod "<cluster>-<n>".
  core::Result<int> PodIndex(const std::string& pod) const {
    const std::string prefix = cluster_.name + "-";
    if (pod.rfind(prefix, 0) != 0 || pod.size() == prefix.size() ||
        pod.find_first_not_of("0123456789", prefix.size()) != std::string::npos) {
      return core::Usage("pod '" + pod + "' is not an ordinal of MariaDB '" + cluster_.name + "'",
                         "name one of the cluster's pods (<cluster>-<ordinal>)");
    }
    return std::stoi(pod.substr(prefix.size()));
  }

  OperatorPrimary Read(const json& cr) const {
    OperatorPrimary out;
    const auto current = "/status/currentPrimaryPodIndex"_json_pointer;
    if (cr.contains(current) && cr.at(current).is_number_integer()) {
      out.current = cluster_.name + "-" + std::to_string(cr.at(current).get<int>());
    } else {
      out.current = StringIn(cr, "/status/currentPrimary"_json_pointer);
    }
    const auto asked = "/spec/replication/primary/podIndex"_json_pointer;
    out.target = cr.contains(asked) && cr.at(asked).is_number_integer()
                     ? cluster_.name + "-" + std::to_string(cr.at(asked).get<int>())
                     : out.current;
    return out;
  }

  std::shared_ptr<const KubeClient> client_;
  Cluster cluster_;
};

}  // namespace

core::Result<std::unique_ptr<OperatorSwitchover>> OpenOperatorPrimary(
    std::shared_ptr<const KubeClient> client, const Cluster& c) {
  auto operator_name = c.options.find(kOperatorOption);
  if (operator_name != c.options.end() && operator_name->second == kCnpgOperator) {
    return std::unique_ptr<OperatorSwitchover>(
        std::make_unique<CnpgTargetPrimary>(std::move(client), c));
  }
  if (c.engine == EngineKind::kMariadb) {
    return std::unique_ptr<OperatorSwitchover>(
        std::make_unique<MariaDbPrimaryPodIndex>(std::move(client), c));
  }
  return core::Usage("cluster '" + c.ns + "/" + c.name + "' has no primary to switch over",
                     "a Galera cluster has none: every node takes writes");
}

}  // namespace hasteward::platform::kubernetes
