// operator/runtime/job_runner: how `serve` runs one job. Backups and verifications run as child
// processes of this same binary (`hasteward backup|verify ... --json`), so aborting one on
// shutdown is a kill: a killed backup never writes its snapshot (snapshots are written last), and
// a killed verification's scratch instance is removed right after by orphan cleanup. Triage runs
// in-process (read-only and short). In `mode: repair` an unhealthy triage is followed by a
// `hasteward repair ... --json` child: the repair command's safety table, escrow and hard stops
// apply unchanged, and the operator never passes --force (a split brain stays a human decision).
// Repository locations reach children through the environment, never argv (child_job.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "operator/config.h"
#include "operator/runtime/state_store.h"
#include "platform/registry.h"

namespace hasteward::op {

struct JobRequest {
  JobKind kind = JobKind::kBackup;
  ManagedCluster cluster;
  std::string engine;  // engine name from the inventory ("cnpg", ...)
};

// What the repair that followed a triage did.
struct RepairReport {
  RepairResult result = RepairResult::kFailed;
  int exit_code = 0;    // the repair command's exit code (docs/exit-codes.md)
  std::string error;    // the refusal (HARD STOP ...) or failure, "" when healed
  std::string verdict;  // triage verdict after the repair ("" when it did not run)
  std::vector<std::string> healed;
  std::string escrow_snapshot;
  double seconds = 0;
};

// How a job ended. The scheduler decides on it: errors and aborts count as job errors, a skipped
// verification keeps the last record, a failed verdict is still a recorded result.
enum class JobOutcome {
  kOk,       // done (a triage: done, whatever it found; its verdict is JobResult::verdict)
  kFailed,   // a verification ran and its verdict is "failed"
  kError,    // the job could not run or its command failed
  kAborted,  // stopped on shutdown
  kSkipped,  // a verification found its backup already verified (gating)
};
const char* JobOutcomeName(JobOutcome outcome);  // "ok", "failed", "error", "aborted", "skipped"

struct JobResult {
  bool ok = false;
  JobOutcome outcome = JobOutcome::kError;
  std::string verdict;  // triage: the verdict's name ("healthy", "degraded", ...); else ""
  std::string error;
  double seconds = 0;
  uint64_t size_bytes = 0;
  std::string snapshot_id;
  size_t retention_removed = 0;
  bool retention_failed = false;
  std::optional<RepairReport> repair;  // triage in mode repair, cluster unhealthy
};

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  // Runs the job to completion, or until `abort` becomes true (then JobOutcome::kAborted).
  virtual JobResult Run(const JobRequest& request, const std::atomic<bool>& abort) = 0;
};

class ProcessJobRunner : public JobRunner {
 public:
  // `self_exe`: this binary; `platform`: passed to children (--platform, --inventory) and
  // opened by triage; `log_format`: "text" or "json" for the children's logs.
  ProcessJobRunner(std::string self_exe, platform::PlatformOptions platform, std::string log_format)
      : self_exe_(std::move(self_exe)),
        platform_(std::move(platform)),
        log_format_(std::move(log_format)) {}
  JobResult Run(const JobRequest& request, const std::atomic<bool>& abort) override;

 private:
  JobResult Backup(const JobRequest& request, const std::atomic<bool>& abort);
  JobResult Verify(const JobRequest& request, const std::atomic<bool>& abort);
  JobResult Triage(const JobRequest& request, const std::atomic<bool>& abort);
  RepairReport Repair(const JobRequest& request, const std::atomic<bool>& abort);

  std::string self_exe_;
  platform::PlatformOptions platform_;
  std::string log_format_;
};

}  // namespace hasteward::op
