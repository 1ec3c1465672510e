#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/triage.h"

namespace hasteward::engine::postgres {

inline constexpr double kMaxHealthyReplayLagSeconds = 30;
inline constexpr int kMaxDiskUsedPercent = 90;

// Reads every instance (read-only): server running (platform), pg_controldata (state, timeline,
// checkpoint and redo LSN; readable even when the server is stopped), role, pg_stat_replication
// on primaries, WAL receiver state and replay lag on standbys, and disk use of the data directory.
core::Result<TriageReport> TriagePostgres(platform::Platform& platform,
                                          const platform::Cluster& cluster);

// The verdict from collected instances (pure; unit-tested on hand-built inputs):
//  split-brain: more than one writable primary, or a standby on a later timeline than the primary;
//  degraded: no primary, any instance stopped / unknown / degraded, high lag, a full disk, or an
//    instance fenced by hasteward (fact "hasteward_fence": failover's old primary).
Verdict PostgresVerdict(const std::vector<InstanceHealth>& instances,
                        std::vector<Finding>* findings);

// "Key: value" lines of pg_controldata output.
std::map<std::string, std::string> ParseControlData(const std::string& text);

}  // namespace hasteward::engine::postgres
