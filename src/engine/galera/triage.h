#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/triage.h"

namespace hasteward::engine::galera {

// Reads every node (read-only): grastate.dat (uuid, seqno, safe_to_bootstrap; readable when the
// node is stopped) and wsrep status (cluster status, size, local state, ready, connected).
core::Result<TriageReport> TriageGalera(platform::Platform& platform,
                                        const platform::Cluster& cluster);

// The verdict (pure): split-brain when running nodes report different cluster state UUIDs or
// form more than one Primary component; degraded when a node is not Synced, not in the Primary
// component, stopped or unknown.
Verdict GaleraVerdict(const std::vector<InstanceHealth>& instances, std::vector<Finding>* findings);

// "key: value" lines of grastate.dat ("uuid", "seqno", "safe_to_bootstrap").
std::map<std::string, std::string> ParseGrastate(const std::string& text);

}  // namespace hasteward::engine::galera
