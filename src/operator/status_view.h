// operator/status_view: what `hasteward get status` shows, read from the same config and state
// file that `serve` uses (so it works whether or not serve is running).
#pragma once

#include <string>
#include <vector>

#include "operator/config.h"
#include "operator/runtime/state_store.h"

namespace hasteward::op {

struct JobStatus {
  std::string outcome;   // "" = never ran
  int64_t last_run = 0;  // unix seconds (scheduler clock)
  int64_t next_run = 0;  // 0 = not scheduled
  std::string snapshot_id;
  std::string error;
};

struct ClusterStatus {
  std::string ns;
  std::string name;
  std::string policy;
  std::string mode;
  JobStatus backup;
  JobStatus verify;
  JobStatus triage;
  // The last repair (mode repair, after an unhealthy triage): outcome healed | refused | failed,
  // error the hard stop or failure, snapshot_id the escrow snapshot.
  JobStatus repair;
};

// One row per managed cluster. Next runs are computed like the scheduler does.
core::Result<std::vector<ClusterStatus>> BuildStatus(const ServeConfig& config,
                                                     const ServeState& state);

// "2026-03-01T10:05:00Z" (UTC), or "-" for 0.
std::string FormatUnix(int64_t t);

}  // namespace hasteward::op
