#include "engine/mariadb/switchover_checks.h"

#include <cstdlib>

#include "engine/mariadb/failover_choice.h"
#include "engine/mariadb/gtid_compare.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/replication_source.h"
#include "engine/mariadb/switchover.h"
#include "platform/peer_address.h"

namespace hasteward::engine::mariadb {

namespace {

std::string Var(const InstanceProbe& probe, const std::string& name) {
  auto it = probe.vars.find(name);
  return it == probe.vars.end() ? "" : it->second;
}

core::Status Refuse(const std::string& message, const std::string& hint) {
  return {core::ErrorCode::kSafetyStop, message, hint};
}

// The candidate's applier: running with a bounded lag, or paused without an error.
core::Status CheckApplier(const InstanceProbe& candidate, SwitchoverTopology* topology) {
  const SqlRows& replication = candidate.replication;
  const std::string& name = candidate.instance->name;
  if (replication.GetOr(0, "Last_SQL_Errno", "0") != "0") {
    return Refuse("the applier of '" + name + "' failed: " + replication.GetOr(0, "Last_SQL_Error"),
                  "repair the replica ('hasteward repair'), or choose another with --to");
  }
  if (replication.GetOr(0, "Slave_SQL_Running") != "Yes") {
    // Paused by hand, not broken: the relay log holds what it received, and the bounded
    // catch-up wait decides (an abort then lifts the fence).
    topology->applier_paused = true;
    topology->candidate_summary = "receiving; applier paused (the catch-up wait decides)";
    return core::Status::Ok();
  }
  auto lag = replication.Get(0, "Seconds_Behind_Master");
  if (!lag) {
    return Refuse("the lag of '" + name + "' is unknown", "check SHOW SLAVE STATUS on it");
  }
  topology->lag_seconds = std::atoi(lag->c_str());
  if (topology->lag_seconds > kMaxSwitchoverLagSeconds) {
    return Refuse("'" + name + "' lags " + *lag + " s behind (at most " +
                      std::to_string(kMaxSwitchoverLagSeconds) + " s for a switchover)",
                  "wait until it caught up, or choose another replica with --to");
  }
  topology->candidate_summary =
      "IO and SQL threads running, lag " + std::to_string(topology->lag_seconds) + " s";
  return core::Status::Ok();
}

// The healthy replica holding the most transactions (lowest ordinal among equals).
core::Result<const InstanceProbe*> ChooseCandidate(const std::vector<InstanceProbe>& probes,
                                                   const InstanceProbe& primary,
                                                   std::string* refusals) {
  std::vector<ReplicaPosition> positions;
  std::vector<const InstanceProbe*> healthy;
  for (const auto& probe : probes) {
    if (&probe == &primary)
      continue;
    SwitchoverTopology scratch;
    core::Status st = CheckCandidate(probe, primary, &scratch);
    if (!st.ok()) {
      *refusals += (refusals->empty() ? "" : "; ") + st.message();
      continue;
    }
    healthy.push_back(&probe);
    positions.push_back({probe.instance->name, true, Var(probe, "gtid_current_pos"), ""});
  }
  int best = MostAdvancedReplica(positions);
  if (best < 0) {
    return Refuse("no replica of the primary '" + primary.instance->name +
                      "' can be promoted: " + (refusals->empty() ? "(no replica)" : *refusals),
                  "run 'hasteward triage' and repair the replicas first");
  }
  return healthy[static_cast<size_t>(best)];
}

}  // namespace

std::vector<InstanceProbe> ProbeForSwitchover(InstanceHandles& handles) {
  std::vector<InstanceProbe> probes = ProbeInstances(handles, false);
  for (auto& probe : probes) {
    if (!probe.status.ok() || !probe.replication.empty())
      continue;
    auto handle = handles.Open(*probe.instance);
    if (!handle.ok())
      continue;
    auto conn = MariadbConnection::ConnectInstance(**handle);
    if (!conn.ok())
      continue;
    auto position = (*conn)->QueryValue("SELECT @@global.gtid_binlog_pos");
    if (position.ok())
      probe.vars["gtid_binlog_pos"] = position->value_or("");
  }
  return probes;
}

bool SemisyncPrimary(const InstanceProbe& primary) {
  return Var(primary, "rpl_semi_sync_master_enabled") != "OFF";
}

core::Result<const InstanceProbe*> WritablePrimary(const platform::Cluster& cluster,
                                                   const std::vector<InstanceProbe>& probes) {
  std::vector<const InstanceProbe*> writable;
  std::vector<const InstanceProbe*> read_only;
  std::string unreachable;
  for (const auto& probe : probes) {
    if (!probe.status.ok()) {
      unreachable += (unreachable.empty() ? "'" : ", '") + probe.instance->name + "'";
      continue;
    }
    if (!probe.replication.empty())
      continue;
    (probe.read_only ? read_only : writable).push_back(&probe);
  }
  if (writable.size() > 1) {
    return Refuse("cluster '" + cluster.name + "' has more than one writable primary",
                  "run 'hasteward triage' and repair the split-brain first");
  }
  if (writable.size() == 1)
    return writable[0];
  if (!read_only.empty()) {
    return Refuse("the primary '" + read_only[0]->instance->name +
                      "' is read-only (fenced); a switchover needs a writable primary",
                  "if it was fenced by a failover, run 'hasteward repair' to rejoin it");
  }
  return core::Status(core::ErrorCode::kUnreachable,
                      "no primary of cluster '" + cluster.name + "' answers" +
                          (unreachable.empty() ? "" : " (unreachable: " + unreachable + ")"),
                      "if the primary is down, run 'hasteward failover'");
}

core::Status CheckCandidate(const InstanceProbe& candidate, const InstanceProbe& primary,
                            SwitchoverTopology* topology) {
  const std::string& name = candidate.instance->name;
  if (!candidate.status.ok()) {
    return core::Status(
        core::ErrorCode::kUnreachable,
        "the candidate '" + name + "' does not answer: " + candidate.status.message(),
        "start it, or choose another replica with --to");
  }
  if (candidate.replication.size() != 1) {
    return Refuse(candidate.replication.empty()
                      ? "'" + name + "' is not a replica"
                      : "'" + name + "' replicates from more than one source",
                  "choose a replica of the primary with --to");
  }
  const SqlRows& replication = candidate.replication;
  // The primary's peer address: what its replicas were pointed at (a port-forward of this
  // process is its host/port when the platform reaches pods through the API server).
  if (!ReplicatesFrom(replication, 0, *primary.instance)) {
    return Refuse("'" + name + "' replicates from " + SourceAddress(replication, 0) +
                      ", not from the primary '" + primary.instance->name + "' (" +
                      platform::PeerHost(*primary.instance) + ":" +
                      std::to_string(platform::PeerPort(*primary.instance)) + ")",
                  "repair the replica, or choose another with --to; a replica pointed at a name "
                  "the inventory does not give (a DNS alias) counts as another source");
  }
  if (replication.GetOr(0, "Slave_IO_Running") != "Yes") {
    return Refuse("'" + name + "' does not receive from the primary (IO thread " +
                      replication.GetOr(0, "Slave_IO_Running", "unknown") +
                      "): " + replication.GetOr(0, "Last_IO_Error"),
                  "a replica that is not receiving has no position worth promoting: repair it "
                  "or choose another with --to");
  }
  GtidOrder order =
      CompareGtidPositions(Var(candidate, "gtid_current_pos"), Var(primary, "gtid_binlog_pos"));
  if (order == GtidOrder::kAhead || order == GtidOrder::kDiverged) {
    return Refuse("'" + name + "' holds transactions the primary lacks (" +
                      Var(candidate, "gtid_current_pos") + " vs " +
                      Var(primary, "gtid_binlog_pos") + ")",
                  "run 'hasteward triage': promoting it would fork the data");
  }
  return CheckApplier(candidate, topology);
}

core::Result<SwitchoverTopology> CheckSwitchover(const platform::Cluster& cluster,
                                                 const std::vector<InstanceProbe>& probes,
                                                 const std::string& requested) {
  SwitchoverTopology topology;
  HS_ASSIGN_OR_RETURN(topology.primary, WritablePrimary(cluster, probes));
  if (requested.empty()) {
    std::string refusals;
    HS_ASSIGN_OR_RETURN(topology.candidate, ChooseCandidate(probes, *topology.primary, &refusals));
  } else {
    for (const auto& probe : probes) {
      if (probe.instance->name == requested)
        topology.candidate = &probe;
    }
    if (topology.candidate == nullptr) {
      return core::NotFound("cluster '" + cluster.name + "' has no instance '" + requested + "'",
                            "run 'hasteward triage' to list its instances");
    }
    if (topology.candidate == topology.primary) {
      return Refuse("'" + requested + "' is already the primary", "choose a replica with --to");
    }
  }
  HS_TRY(CheckCandidate(*topology.candidate, *topology.primary, &topology));
  // The cluster's own semi-sync is its replicas acknowledging. The primary's master side alone
  // may be the binlog receiver's (archive binlog --sync), which must stay the only acknowledger:
  // a demoted primary made a semi-sync replica would acknowledge commits the repository may not
  // hold yet. Unreadable counts as on (fail closed).
  topology.semisync = SemisyncPrimary(*topology.primary) &&
                      Var(*topology.candidate, "rpl_semi_sync_slave_enabled") != "OFF";
  for (const auto& probe : probes) {
    if (&probe != topology.primary && &probe != topology.candidate)
      topology.others.push_back(&probe);
  }
  return topology;
}

}  // namespace hasteward::engine::mariadb
