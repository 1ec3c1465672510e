// The pre-checks of a MariaDB failover, from one probe of every instance (read-only): the primary
// must not answer, the replicas' positions (received or applied, whichever is further) decide
// the candidate (failover_choice.h).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/mariadb/failover_choice.h"
#include "engine/mariadb/mariadb_engine.h"

namespace hasteward::engine::mariadb {

struct FailoverTopology {
  const platform::Instance* old_primary = nullptr;
  const InstanceProbe* candidate = nullptr;
  std::vector<const InstanceProbe*> others;  // every instance but the old primary and candidate
  FailoverChoice choice;
  std::string candidate_received;  // what the candidate received (it applies all of it first)
  bool semisync = true;            // unreadable counts as semi-sync (fail closed)
};

// kSafetyStop when a writable primary answers (use switchover) or the old primary cannot be told;
// otherwise ChooseFailoverCandidate's errors.
core::Result<FailoverTopology> CheckFailover(const platform::Cluster& cluster,
                                             const std::vector<InstanceProbe>& probes,
                                             const std::string& requested, bool force);

// What a replica holds: the further of its applied position (gtid_current_pos) and what its IO
// thread received (Gtid_IO_Pos), so a replica with an unapplied relay log is not taken for one
// that is behind.
std::string ReceivedPosition(const InstanceProbe& replica);

}  // namespace hasteward::engine::mariadb
