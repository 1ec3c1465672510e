#include "engine/mariadb/failover_checks.h"

#include <map>

#include "engine/mariadb/gtid_compare.h"
#include "platform/peer_address.h"

namespace hasteward::engine::mariadb {

namespace {

std::string Var(const InstanceProbe& probe, const std::string& name) {
  auto it = probe.vars.find(name);
  return it == probe.vars.end() ? "" : it->second;
}

// The instance the replicas replicate from (by its peer port: the port they were pointed at), else
// the only instance that does not answer; nullptr when neither tells.
const platform::Instance* OldPrimary(const std::vector<InstanceProbe>& probes) {
  std::map<std::string, int> votes;
  for (const auto& probe : probes) {
    if (probe.status.ok() && probe.replication.size() == 1)
      ++votes[probe.replication.GetOr(0, "Master_Port")];
  }
  for (const auto& [port, count] : votes) {
    for (const auto& probe : probes) {
      if (count > 0 && std::to_string(platform::PeerPort(*probe.instance)) == port &&
          votes.size() == 1)
        return probe.instance;
    }
  }
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
