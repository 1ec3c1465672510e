#include "operator/job_runner.h"

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/log.h"
#include "engine/triage.h"
#include "operator/child_job.h"
#include "operator/retention_hook.h"
#include "platform/registry.h"
#include "verify/orphans.h"
#include "verify/scratch_instance.h"

namespace hasteward::op {

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
    r.outcome = "error";
    r.error = child.status().message();
  } else if (child->aborted) {
    r.outcome = "aborted";
    r.error = "aborted on shutdown";
  } else if (!child->status.ok()) {
    r.outcome = "error";
    r.error = child->status.Describe() + ": " + child->err_tail;
  } else {
    r.ok = true;
    r.outcome = "ok";
  }
  return r;
}

constexpr const char* kScheduledBackupLockWait = "10m";

std::vector<std::string> ChildArgs(const std::string& exe, const std::string& verb,
                                   const JobRequest& req, const RepositorySpec& repo,
                                   const platform::PlatformOptions& platform,
                                   const std::string& log_format) {
  std::vector<std::string> a = {exe,
                                verb,
                                "-c",
                                req.cluster.name,
                                "-n",
                                req.cluster.ns,
                                "--backups-path",
                                repo.location,
                                "--restic-password-file",
                                repo.password_file,
                                "--json",
                                "--progress",
                                "never",
                                "--log-format",
                                log_format};
  if (!platform.name.empty())
    a.insert(a.end(), {"--platform", platform.name});
  if (!platform.inventory_path.empty())
    a.insert(a.end(), {"--inventory", platform.inventory_path});
  if (verb == "backup") {
    // A scheduled backup waits for another job's exclusive lock (the retention prune of another
    // cluster on the same repository) instead of failing at once; prune holds it only while it
    // deletes, so minutes are plenty, and a wedged holder still ends in a clear kLocked error.
    a.insert(a.end(), {"--retry-lock", kScheduledBackupLockWait});
  }
  return a;
}

}  // namespace

JobResult ProcessJobRunner::Run(const JobRequest& request, const std::atomic<bool>& abort) {
  auto start = core::SystemClock::Get().Monotonic();
  JobResult r;
  switch (request.kind) {
    case JobKind::kBackup: r = Backup(request, abort); break;
    case JobKind::kVerify: r = Verify(request, abort); break;
    case JobKind::kTriage: r = Triage(request); break;
  }
  r.seconds = Since(start);
  return r;
}

JobResult ProcessJobRunner::Backup(const JobRequest& req, const std::atomic<bool>& abort) {
  JobResult r;
  for (const auto& repo : req.cluster.repositories) {
    auto child = RunChild(ChildArgs(self_exe_, "backup", req, repo, platform_, log_format_), abort);
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
  auto child = RunChild(ChildArgs(self_exe_, "verify", req, repo, platform_, log_format_), abort);
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
    r.outcome = "skipped";
    return r;
  }
  auto report = j.value("report", nlohmann::json::object());
  r.snapshot_id = report.value("snapshot_id", "");
  r.ok = report.value("verdict", "") == "ok";
  r.outcome = r.ok ? "ok" : "failed";
  if (!r.ok)
    r.error = report.value("failures", nlohmann::json::array()).dump();
  return r;
}

JobResult ProcessJobRunner::Triage(const JobRequest& req) {
  JobResult r;
  auto platform = platform::OpenPlatform(platform_);
  auto cluster = platform.ok() ? (*platform)->FindCluster(req.cluster.ns, req.cluster.name)
                               : core::Result<platform::Cluster>(platform.status());
  if (!cluster.ok()) {
    r.outcome = "error";
    r.error = cluster.status().message();
    return r;
  }
  auto report = engine::TriageCluster(**platform, *cluster);
  if (!report.ok()) {
    r.outcome = "error";
    r.error = report.status().message();
    return r;
  }
  r.ok = true;
  r.outcome = engine::VerdictName(report->verdict);
  if (req.cluster.mode == "repair" && report->verdict != engine::Verdict::kHealthy) {
    core::LogWarn("repair mode: repair is not available in this build; triage only",
                  {{"cluster", req.cluster.Key()}, {"verdict", r.outcome}});
  }
  return r;
}

}  // namespace hasteward::op
