// operator/runtime/state_store: what `serve` remembers across restarts — when each job of each
// cluster last ran and how it ended, the scheduler's clock, error counters — in one JSON file
// rewritten atomically after every change. Metrics and `get status` are rendered from it, so a
// restarted operator shows the last results at once and resumes the schedule where it stopped.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"

namespace hasteward::op {

// kRepair is never scheduled on its own: in `mode: repair` a triage that finds the cluster
// unhealthy runs it (job_runner.h), and its record sits beside the scheduled jobs'.
enum class JobKind { kBackup, kVerify, kTriage, kRepair };
const char* JobKindName(JobKind kind);  // "backup", "verify", "triage", "repair"

// How one operator repair ended: the repair command healed the cluster, refused (a hard stop of
// the safety table: split brain, no healthy donor, ...; nothing was touched), or failed.
enum class RepairResult { kHealed, kRefused, kFailed };
inline constexpr RepairResult kRepairResults[] = {RepairResult::kHealed, RepairResult::kRefused,
                                                  RepairResult::kFailed};
const char* RepairResultName(RepairResult result);  // "healed", "refused", "failed"

struct JobRecord {
  int64_t last_run = 0;  // scheduled (clock) time the last run started, unix seconds
  int64_t last_finish = 0;
  int64_t last_success = 0;  // finish time of the last successful run
  bool ok = false;
  double duration_seconds = 0;
  uint64_t size_bytes = 0;  // backup: bytes dumped
  std::string snapshot_id;  // backup: the snapshot; verify: the verified snapshot
  std::string outcome;      // "ok", "failed", "error", "aborted", "skipped", triage verdict
  std::string error;
  int64_t runs = 0;
};

struct ServeState {
  int64_t first_start = 0;  // clock time of the first start (jobs never run count from here)
  int64_t clock_now = 0;    // last clock reading (a scaled test clock resumes from it)
  std::map<std::string, JobRecord> jobs;             // "<ns>/<cluster>/<job>"
  std::map<std::string, int64_t> job_errors;         // job kind -> failures
  std::map<std::string, int64_t> retention_removed;  // "<ns>/<cluster>" -> snapshots removed
  // "<ns>/<cluster>" -> RepairResultName -> repairs that ended so
  std::map<std::string, std::map<std::string, int64_t>> repairs;
};

std::string JobKey(const std::string& cluster_key, JobKind kind);

// Thread-safe access to the state and its file.
class StateStore {
 public:
  // Loads `path` (a missing file is a fresh state).
  static core::Result<std::unique_ptr<StateStore>> Open(const std::string& path);
  ServeState Snapshot() const;
  // Applies `fn` to the state and saves the file (atomic rename).
  core::Status Update(const std::function<void(ServeState&)>& fn);
  const std::string& path() const { return path_; }

 private:
  explicit StateStore(std::string path) : path_(std::move(path)) {}
  core::Status SaveLocked() const;

  std::string path_;
  mutable std::mutex mu_;
  ServeState state_;
};

std::string EncodeState(const ServeState& s);
core::Result<ServeState> DecodeState(const std::string& json);

}  // namespace hasteward::op
