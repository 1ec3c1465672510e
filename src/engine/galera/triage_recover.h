// The committed position of a stopped Galera node: grastate.dat's seqno after a clean shutdown,
// else `mariadbd --wsrep-recover` run as the node's OS user against its data directory. A position
// that could not be read stays unknown — never "-1" treated as "behind" — so that a bootstrap or
// donor choice fails closed on it.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "engine/triage.h"

namespace hasteward::engine::galera {

inline constexpr char kZeroUuid[] = "00000000-0000-0000-0000-000000000000";

struct GaleraPosition {
  std::string uuid;
  long long seqno = -1;
  std::string source;  // "grastate", "wsrep-recover" or "wsrep" (a running node)
  bool valid() const { return seqno >= 0 && !uuid.empty() && uuid != kZeroUuid; }
};

// Parses "WSREP: Recovered position: <uuid>:<seqno>" from mariadbd --wsrep-recover output; the
// last such line wins. nullopt when absent, the UUID is all zeros or the seqno is negative.
std::optional<GaleraPosition> ParseRecoveredPosition(const std::string& log);

// Runs mariadbd --wsrep-recover for a STOPPED node (never call it on a running one: it opens the
// InnoDB files) with its own config file and a private error log; kTimeout after `timeout`.
core::Result<GaleraPosition> RecoverPosition(platform::Platform& platform,
                                             const platform::Cluster& cluster,
                                             const platform::Instance& instance,
                                             std::chrono::seconds timeout);

// The position recorded in a node's triage facts ("position_uuid", "position_seqno",
// "position_source"); invalid when unknown.
GaleraPosition PositionFromFacts(const InstanceHealth& h);

// Fills the position facts of a node from its triage facts, running wsrep-recover when it is
// stopped and grastate.dat holds no seqno. On failure sets "position_error" (the node stays
// unknown-position).
void ReadPosition(platform::Platform& platform, const platform::Cluster& cluster,
                  InstanceHealth* h);

}  // namespace hasteward::engine::galera
