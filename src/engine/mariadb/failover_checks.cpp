#include "engine/mariadb/failover_checks.h"

#include <map>

#include "engine/mariadb/gtid_compare.h"
#include "engine/mariadb/replication_source.h"

namespace hasteward::engine::mariadb {

namespace {

std::string Var(const InstanceProbe& probe, const std::string& name) {
  auto it = probe.vars.find(name);
  return it == probe.vars.end() ? "" : it->second;
}

// The instance a replica's source names; nullptr when none does, or more than one (an address two
// instances answer to tells nothing).
const platform::Instance* SourceOf(const InstanceProbe& replica,
                                   const std::vector<InstanceProbe>& probes) {
  const platform::Instance* found = nullptr;
  for (const auto& probe : probes) {
    if (!ReplicatesFrom(replica.replication, 0, *probe.instance))
      continue;
    if (found != nullptr)
      return nullptr;
    found = probe.instance;
  }
  return found;
}

// The one instance every answering replica replicates from; nullptr when they name none, an
// unknown one, or different ones.
const platform::Instance* CommonSource(const std::vector<InstanceProbe>& probes) {
  const platform::Instance* common = nullptr;
  for (const auto& replica : probes) {
    if (!replica.status.ok() || replica.replication.size() != 1)
      continue;
    const platform::Instance* source = SourceOf(replica, probes);
    if (source == nullptr || (common != nullptr && source != common))
      return nullptr;
    common = source;
  }
  return common;
}

// The instance the replicas replicate from (by host and port), else the only instance that does
// not answer; nullptr when neither tells.
const platform::Instance* OldPrimary(const std::vector<InstanceProbe>& probes) {
  if (const platform::Instance* common = CommonSource(probes))
    return common;
  const platform::Instance* silent = nullptr;
  for (const auto& probe : probes) {
    if (!probe.status.ok()) {
      if (silent != nullptr)
        return nullptr;
      silent = probe.instance;
    }
  }
  return silent;
}

}  // namespace

std::string ReceivedPosition(const InstanceProbe& replica) {
  std::string applied = Var(replica, "gtid_current_pos");
  std::string received = replica.replication.GetOr(0, "Gtid_IO_Pos");
  if (!received.empty() && CompareGtidPositions(received, applied) == GtidOrder::kAhead)
    return received;
  return applied;
}

core::Result<FailoverTopology> CheckFailover(const platform::Cluster& cluster,
                                             const std::vector<InstanceProbe>& probes,
                                             const std::string& requested, bool force) {
  for (const auto& probe : probes) {
    // Why: promoting while the primary still takes writes makes two writable instances.
    if (probe.status.ok() && probe.replication.empty() && !probe.read_only) {
      return core::Status(core::ErrorCode::kSafetyStop,
                          "the primary '" + probe.instance->name + "' of cluster '" + cluster.name +
                              "' answers and is writable",
                          "use 'hasteward switchover' for a planned change of primary");
    }
  }
  FailoverTopology topology;
  topology.old_primary = OldPrimary(probes);
  if (topology.old_primary == nullptr) {
    return core::Status(
        core::ErrorCode::kSafetyStop,
        "cannot tell which instance of cluster '" + cluster.name + "' was the primary",
        "run 'hasteward triage'; promote by hand if you know it");
  }
  std::vector<ReplicaPosition> positions;
  std::vector<const InstanceProbe*> replicas;
  for (const auto& probe : probes) {
    if (probe.instance == topology.old_primary)
      continue;
    ReplicaPosition position{probe.instance->name, probe.status.ok(), "", ""};
    if (probe.status.ok()) {
      position.gtid_position = ReceivedPosition(probe);
    } else {
      position.problem = probe.status.message();
    }
    if (position.readable && !IsWellFormedGtidList(position.gtid_position)) {
      position.readable = false;
      position.problem = "malformed position '" + position.gtid_position + "'";
    }
    positions.push_back(position);
    replicas.push_back(&probe);
  }
  HS_ASSIGN_OR_RETURN(topology.choice, ChooseFailoverCandidate(positions, requested, force));
  topology.candidate = replicas[topology.choice.index];
  topology.candidate_received = positions[topology.choice.index].gtid_position;
  topology.semisync = Var(*topology.candidate, "rpl_semi_sync_slave_enabled") != "OFF";
  for (const auto* replica : replicas) {
    if (replica != topology.candidate)
      topology.others.push_back(replica);
  }
  return topology;
}

}  // namespace hasteward::engine::mariadb
