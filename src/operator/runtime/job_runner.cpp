#include "operator/runtime/job_runner.h"

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/log.h"
#include "engine/triage.h"
#include "operator/runtime/child_job.h"
#include "operator/runtime/retention_hook.h"
#include "platform/registry.h"
#include "verify/orphans.h"
#include "verify/scratch_instance.h"

namespace hasteward::op {

const char* JobOutcomeName(JobOutcome outcome) {
  switch (outcome) {
    case JobOutcome::kOk: return "ok";
    case JobOutcome::kFailed: return "failed";
    case JobOutcome::kError: return "error";
    case JobOutcome::kAborted: return "aborted";
    case JobOutcome::kSkipped: return "skipped";
  }
  return "error";
}

namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(core::SystemClock::Get().Monotonic() - t).count();
}

// The last JSON object line a child printed ({} when none).
nlohmann::json LastJson(const std::string& out) {
  auto pos = out.rfind("\n{");
  std::string line = pos == std::string::npos ? out : out.substr(pos + 1);
  auto j = nlohmann::json::parse(line, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

JobResult FromChild(const core::Result<ChildOutcome>& child) {
  JobResult r;
  if (!child.ok()) {
    r.outcome = JobOutcome::kError;
    r.error = child.status().message();
  } else if (child->aborted) {
    r.outcome = JobOutcome::kAborted;
    r.error = "aborted on shutdown";
  } else if (!child->status.ok()) {
    r.outcome = JobOutcome::kError;
    r.error = child->status.Describe() + ": " + child->err_tail;
  } else {
    r.ok = true;
    r.outcome = JobOutcome::kOk;
  }
  return r;
}

constexpr const char* kScheduledBackupLockWait = "10m";

// A job's child (MakeClusterChild) for one verb.
ChildCommand MakeChild(const std::string& exe, const std::string& verb, const JobRequest& req,
                       const RepositorySpec& repo, const platform::PlatformOptions& platform,
                       const std::string& log_format) {
  ChildCommand c = MakeClusterChild(exe, {verb}, req.cluster, repo, platform, log_format);
  if (verb == "backup") {
    // A scheduled backup waits for another job's exclusive lock (the retention prune of another
    // cluster on the same repository) instead of failing at once; prune holds it only while it
    // deletes, so minutes are plenty, and a wedged holder still ends in a clear kLocked error.
    c.argv.insert(c.argv.end(), {"--retry-lock", kScheduledBackupLockWait});
    // Unset leaves the choice to the backup command (its HASTEWARD_BACKUP_METHOD, else dump).
    if (req.cluster.backup_method != BackupMethod::kUnset)
      c.argv.insert(c.argv.end(), {"--method", BackupMethodName(req.cluster.backup_method)});
  }
  return c;
}

// The "error" object of the last JSON error line a child printed on stderr ({} when none).
nlohmann::json LastError(const std::string& err_tail) {
  std::string line;
  for (size_t end = err_tail.size(); end > 0;) {
    size_t start = err_tail.rfind('\n', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    line = err_tail.substr(start, end - start);
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_object())
      return j["error"];
    end = start == 0 ? 0 : start - 1;
  }
  return nlohmann::json::object();
}

// The exit codes with which the repair command refuses before it touches anything: the hard
// stops of the safety table (engine/repair.h). Anything else that is not a heal is a failure.
bool IsRefusal(int exit_code) {
  switch (static_cast<core::ErrorCode>(exit_code)) {
    case core::ErrorCode::kSplitBrain:
    case core::ErrorCode::kSafetyStop:
    case core::ErrorCode::kNoDonor:
    case core::ErrorCode::kConfirmationRequired: return true;
    default: return false;
  }
}

RepairReport ClassifyRepair(const core::Result<ChildOutcome>& child) {
  RepairReport r;
  if (!child.ok()) {
    r.error = child.status().message();
    return r;
  }
  r.exit_code = child->status.exit_code;
  if (child->aborted) {
    r.error = "aborted on shutdown";
    return r;
  }
  auto result = LastJson(child->out);
  if (result.contains("after")) {
    // The repair ran: it healed when the re-triage is healthy (exit 0).
    r.verdict = result["after"].value("verdict", "");
    r.healed = result.value("healed", std::vector<std::string>{});
    r.escrow_snapshot = result.value("escrow_snapshot", "");
    r.result = child->status.ok() ? RepairResult::kHealed : RepairResult::kFailed;
    if (!child->status.ok())
      r.error = "the cluster is " + r.verdict + " after the repair";
    return r;
  }
  auto error = LastError(child->err_tail);
  r.error = error.value("message", child->status.Describe() + ": " + child->err_tail);
  r.result = IsRefusal(r.exit_code) ? RepairResult::kRefused : RepairResult::kFailed;
  return r;
}

}  // namespace

JobResult ProcessJobRunner::Run(const JobRequest& request, const std::atomic<bool>& abort) {
  auto start = core::SystemClock::Get().Monotonic();
  JobResult r;
  switch (request.kind) {
    case JobKind::kBackup: r = Backup(request, abort); break;
    case JobKind::kVerify: r = Verify(request, abort); break;
    case JobKind::kTriage: r = Triage(request, abort); break;
    case JobKind::kRepair:
      // Never scheduled: a repair follows the triage that found the cluster unhealthy.
      r.outcome = JobOutcome::kError;
      r.error = "a repair runs after a triage in mode repair, not as a job of its own";
      break;
  }
  r.seconds = Since(start);
  return r;
}

JobResult ProcessJobRunner::Backup(const JobRequest& req, const std::atomic<bool>& abort) {
  JobResult r;
  for (const auto& repo : req.cluster.repositories) {
    auto child = RunChild(MakeChild(self_exe_, "backup", req, repo, platform_, log_format_), abort);
    JobResult one = FromChild(child);
    if (!one.ok)
      return one;
    auto j = LastJson(child->out);
    r = one;
    r.snapshot_id = j.value("snapshot_id", "");
    r.size_bytes = j.value("total_bytes_processed", uint64_t{0});
    auto retention = ApplyRetentionAfterBackup(repo, req.cluster, req.engine);
    if (!retention.ok()) {
      core::LogError("retention failed",
                     {{"cluster", req.cluster.Key()}, {"error", retention.status().message()}});
      r.retention_failed = true;
    } else {
      r.retention_removed += retention->removed;
    }
  }
  return r;
}

JobResult ProcessJobRunner::Verify(const JobRequest& req, const std::atomic<bool>& abort) {
  const auto& repo = req.cluster.repositories.front();
  auto child = RunChild(MakeChild(self_exe_, "verify", req, repo, platform_, log_format_), abort);
  if (child.ok() && child->aborted) {
    // The killed verifier's scratch instance is an orphan now: remove it before we go.
    auto removed = verify::CleanupOrphans(verify::DefaultVerifyRoot());
    if (!removed.ok())
      core::LogError("orphan cleanup", {{"error", removed.status().message()}});
  }
  bool failed_verdict = child.ok() && !child->aborted &&
                        child->status.exit_code == static_cast<int>(core::ErrorCode::kVerifyFailed);
  JobResult r = failed_verdict ? JobResult{} : FromChild(child);
  if (!child.ok() || (!r.ok && !failed_verdict))
    return r;
  auto j = LastJson(child->out);
  if (j.value("skipped", false)) {
    r.outcome = JobOutcome::kSkipped;
    return r;
  }
  auto report = j.value("report", nlohmann::json::object());
  r.snapshot_id = report.value("snapshot_id", "");
  r.ok = report.value("verdict", "") == "ok";
  r.outcome = r.ok ? JobOutcome::kOk : JobOutcome::kFailed;
  if (!r.ok)
    r.error = report.value("failures", nlohmann::json::array()).dump();
  return r;
}

JobResult ProcessJobRunner::Triage(const JobRequest& req, const std::atomic<bool>& abort) {
  JobResult r;
  auto platform = platform::OpenPlatform(platform_);
  auto cluster = platform.ok() ? (*platform)->FindCluster(req.cluster.ns, req.cluster.name)
                               : core::Result<platform::Cluster>(platform.status());
  if (!cluster.ok()) {
    r.outcome = JobOutcome::kError;
    r.error = cluster.status().message();
    return r;
  }
  auto report = engine::TriageCluster(**platform, *cluster);
  if (!report.ok()) {
    r.outcome = JobOutcome::kError;
    r.error = report.status().message();
    return r;
  }
  r.ok = true;
  r.outcome = JobOutcome::kOk;
  r.verdict = engine::VerdictName(report->verdict);
  // The triage record keeps what triage saw; what the repair did is recorded beside it.
  if (req.cluster.mode == "repair" && report->verdict != engine::Verdict::kHealthy)
    r.repair = Repair(req, abort);
  return r;
}

RepairReport ProcessJobRunner::Repair(const JobRequest& req, const std::atomic<bool>& abort) {
  auto start = core::SystemClock::Get().Monotonic();
  if (req.cluster.repositories.empty()) {  // ResolveClusters refuses this; never heal unescrowed
    RepairReport none;
    none.error = "no repository for the repair's escrow backup";
    return none;
  }
  // Escrow goes to the first repository, the one verifications read. No --force, ever.
  ChildCommand command =
      MakeChild(self_exe_, "repair", req, req.cluster.repositories.front(), platform_, log_format_);
  RepairReport r = ClassifyRepair(RunChild(command, abort));
  r.seconds = Since(start);
  return r;
}

}  // namespace hasteward::op
