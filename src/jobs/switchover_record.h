// jobs/switchover_record: the last switchover or failover of each cluster, kept on disk so that
// `serve` (a separate process, maybe restarted since) can expose its duration and outcome. The CLI
// writes <state dir>/switchovers/<namespace>/<cluster>.json after every run that was not a dry
// run (the triage records' layout, jobs/triage_job.h); the operator reads them all when it renders
// metrics. A record is replaced atomically, so a reader sees the
// previous run or the new one, never half of one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "jobs/switchover_job.h"

namespace hasteward::jobs {

struct SwitchoverRecord {
  std::string ns;
  std::string cluster;
  std::string engine;               // platform::EngineKindName: "cnpg", "mariadb", ...
  std::string kind = "switchover";  // SwitchoverKindName
  int64_t finished_at = 0;          // unix seconds
  double duration_seconds = 0;      // the engine's total, pre-check to the last step
  bool ok = false;
  std::string failed_step;  // SwitchoverStepName; "" when ok
  std::string old_primary;
  std::string new_primary;  // the promoted instance; "" when nothing was promoted
  std::string error;        // the abort's message; "" when ok
};

// The record of `result` for `target`, finished at `finished_at` (unix seconds).
SwitchoverRecord MakeSwitchoverRecord(const engine::ClusterHandle& target,
                                      const SwitchoverJobResult& result, int64_t finished_at);

// Replaces <state_dir>/switchovers/<namespace>/<cluster>.json with `record` (temp file, fsync,
// rename; directories created 0700).
core::Status SaveSwitchoverRecord(const std::string& state_dir, const SwitchoverRecord& record);

// Every record under <state_dir>/switchovers, ordered by namespace and cluster; none when the
// directory is missing. A file that does not parse is skipped with a warning: one bad file must
// not hide the other clusters' records.
std::vector<SwitchoverRecord> LoadSwitchoverRecords(const std::string& state_dir);

std::string EncodeSwitchoverRecord(const SwitchoverRecord& record);
core::Result<SwitchoverRecord> DecodeSwitchoverRecord(const std::string& json);

}  // namespace hasteward::jobs
