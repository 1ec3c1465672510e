// operator/job_runner: how `serve` runs one job. Backups and verifications run as child
// processes of this same binary (`hasteward backup|verify ... --json`), so aborting one on
// shutdown is a kill: a killed backup never writes its snapshot (snapshots are written last), and
// a killed verification's scratch instance is removed right after by orphan cleanup. Triage runs
// in-process (read-only and short).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "operator/config.h"
#include "operator/state_store.h"
#include "platform/registry.h"

namespace hasteward::op {

struct JobRequest {
  JobKind kind = JobKind::kBackup;
  ManagedCluster cluster;
  std::string engine;  // engine name from the inventory ("cnpg", ...)
};

struct JobResult {
  bool ok = false;
  std::string outcome;  // "ok", "failed" (verdict), "error", "aborted", "skipped", triage verdict
  std::string error;
  double seconds = 0;
  uint64_t size_bytes = 0;
  std::string snapshot_id;
  size_t retention_removed = 0;
  bool retention_failed = false;
};

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  // Runs the job to completion, or until `abort` becomes true (then outcome "aborted").
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
  JobResult Triage(const JobRequest& request);

  std::string self_exe_;
  platform::PlatformOptions platform_;
  std::string log_format_;
};

}  // namespace hasteward::op
