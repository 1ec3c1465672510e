// Which replica a MariaDB failover promotes (pure decision code): the most advanced by GTID, and
// a refusal when that choice could lose transactions — a reachable replica ahead of it, replicas
// that diverged, or a position that cannot be read — unless forced. Why: promoting anything but
// the most advanced replica silently discards the transactions only the others hold, and a
// position we cannot read may be exactly such a replica.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace hasteward::engine::mariadb {

// One replica as failover sees it.
struct ReplicaPosition {
  std::string name;
  bool readable = false;      // it answered and its gtid_current_pos was read
  std::string gtid_position;  // gtid_current_pos (valid when readable)
  std::string problem;        // why it is not readable
};

struct FailoverChoice {
  size_t index = 0;                     // into the replicas given
  std::string reason;                   // "most advanced: 0-1-1042"
  std::vector<std::string> overridden;  // objections --force overrode (empty without force)
};

// Chooses the replica to promote. `requested` (a name, "" = choose) is honoured only when no
// readable replica is ahead of it. kNotFound for an unknown `requested`; kUnreachable when no
// replica (or the requested one) can be read; kSafetyStop listing every objection unless `force`.
core::Result<FailoverChoice> ChooseFailoverCandidate(const std::vector<ReplicaPosition>& replicas,
                                                     const std::string& requested, bool force);

// The index of the readable replica that is neither behind nor diverged from any other readable
// one (the first such in the given order); -1 when none (positions diverged) or none is readable.
int MostAdvancedReplica(const std::vector<ReplicaPosition>& replicas);

}  // namespace hasteward::engine::mariadb
