// The pre-checks of a MariaDB switchover, read from one probe of every instance (read-only): the
// one writable primary, the candidate (named, or the most advanced healthy replica) and the
// replicas to repoint, and whether the cluster runs semi-sync.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/mariadb/mariadb_engine.h"

namespace hasteward::engine::mariadb {

struct SwitchoverTopology {
  const InstanceProbe* primary = nullptr;
  const InstanceProbe* candidate = nullptr;
  std::vector<const InstanceProbe*> others;  // every other instance, to repoint
  // Why: a semi-sync cluster promoted without the semi-sync master side would acknowledge
  // commits no replica holds. An unreadable state counts as semi-sync (fail closed).
  bool semisync = true;
  bool applier_paused = false;  // the candidate's SQL thread is stopped without an error
  int lag_seconds = 0;
  std::string candidate_summary;  // "IO and SQL threads running, lag 0 s"
};

// Probes every instance, then reads each primary's gtid_binlog_pos again: under writes, a
// position read before the replicas' would make a replica look ahead of its primary.
std::vector<InstanceProbe> ProbeForSwitchover(InstanceHandles& handles);

// The single writable primary among `probes`. kUnreachable when none answers as a primary (use
// failover); kSafetyStop when more than one is writable or the primary is read-only.
core::Result<const InstanceProbe*> WritablePrimary(const platform::Cluster& cluster,
                                                   const std::vector<InstanceProbe>& probes);

// Whether `candidate` may be promoted in place of `primary`: it answers, replicates (one
// connection) from that primary, receives (IO thread running), its applier has no error, its
// lag is at most kMaxSwitchoverLagSeconds when applying (a paused applier is allowed: the
// catch-up wait decides within the timeout), and it holds no transaction the primary lacks.
// kUnreachable or kSafetyStop naming what is wrong.
core::Status CheckCandidate(const InstanceProbe& candidate, const InstanceProbe& primary,
                            SwitchoverTopology* topology);

// Every pre-check of a switchover to `requested` ("" = the most advanced healthy replica).
// kNotFound for an unknown instance name.
core::Result<SwitchoverTopology> CheckSwitchover(const platform::Cluster& cluster,
                                                 const std::vector<InstanceProbe>& probes,
                                                 const std::string& requested);

// Whether the primary runs semi-sync: true unless rpl_semi_sync_master_enabled reads OFF.
bool SemisyncPrimary(const InstanceProbe& primary);

}  // namespace hasteward::engine::mariadb
