#include <unistd.h>

#include "catalog/base_backup_record.h"
#include "core/clock.h"
#include "core/log.h"
#include "jobs/jobs.h"
#include "jobs/native_backup.h"
#include "repo/backup/stream_backup.h"
#include "verify/evidence.h"
#include "verify/orphans.h"
#include "verify/restore_into.h"
#include "verify/restore_native.h"
#include "verify/scratch_instance.h"
#include "verify/verify.h"
#include "verify/watchdog.h"

namespace hasteward::verify {

namespace {

using Steady = std::chrono::steady_clock;

double Since(Steady::time_point t) {
  return std::chrono::duration<double>(core::SystemClock::Get().Monotonic() - t).count();
}

repo::GoTime Now() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                core::SystemClock::Get().Now().time_since_epoch())
                .count();
  return repo::LocalTimeFromUnix(ns / 1000000000, static_cast<int32_t>(ns % 1000000000));
}

// A failure line of bounded length: long client output keeps its end, where the error is.
std::string Clip(const std::string& s) {
  constexpr size_t kMax = 600;
  return s.size() <= kMax ? s : "..." + s.substr(s.size() - kMax);
}

// The engine's data checks of the scratch cluster's one instance, through its handle; a handle
// that does not open is a failure of the checks, as a server that does not answer is.
engine::DataCheck CheckFirstInstance(engine::Engine& engine, platform::Platform& platform,
                                     const platform::Cluster& cluster) {
  auto handle = platform.OpenInstance(cluster, cluster.instances.front());
  if (!handle.ok()) {
    engine::DataCheck out;
    out.failures.push_back("server does not answer: " + handle.status().message());
    return out;
  }
  return engine.CheckData(**handle);
}

void AddChecks(engine::DataCheck checks, VerificationReport& report) {
  report.tables = std::move(checks.tables);
  report.notes.insert(report.notes.end(), checks.notes.begin(), checks.notes.end());
  report.failures.insert(report.failures.end(), checks.failures.begin(), checks.failures.end());
}

// A native snapshot: its data directory replaces the scratch server's (checked against its
// manifest first), the server recovers on it, then the usual checks with the cluster's own
// credentials (the restored data holds its roles). With options.instant the snapshot is served
// through an overlay instead of restored, and the serving is closed before the teardown.
core::Status ExamineNative(repo::Repository& repo, const repo::Snapshot& snap,
                           ScratchInstance& scratch, const platform::Credentials& credentials,
                           const VerifyOptions& options, VerificationReport& report) {
  auto phase = core::SystemClock::Get().Monotonic();
  uint64_t bytes = 0;
  std::unique_ptr<jobs::InstantServing> serving;
  core::Result<engine::ClusterHandle> restored = core::Status(core::ErrorCode::kInternal, "unset");
  if (options.instant) {
    auto served = RestoreNativeInstantInto(repo, snap, scratch, credentials, options.access);
    if (served.ok()) {
      serving = std::move(served->serving);
      restored = std::move(served->target);
    } else {
      restored = served.TakeStatus();
    }
  } else {
    restored = RestoreNativeInto(repo, snap, scratch, credentials, &bytes, options.access);
  }
  report.phase_seconds["restore"] = Since(phase);
  report.restored_bytes = bytes;
  if (!restored.ok()) {
    report.failures.push_back("native restore failed: " + Clip(restored.status().message()));
    return core::Status::Ok();
  }
  phase = core::SystemClock::Get().Monotonic();
  AddChecks(CheckFirstInstance(restored->engine(), restored->platform(), restored->cluster()),
            report);
  report.phase_seconds["checks"] = Since(phase);
  if (serving) {
    report.notes.push_back("instant: the checks ran on an overlay of the mounted snapshot");
    return serving->Close();
  }
  return core::Status::Ok();
}

// Restore + checks inside a running scratch instance; fills the report's evidence.
core::Status Examine(repo::Repository& repo, const repo::Snapshot& snap, ScratchInstance& scratch,
                     const platform::Credentials& credentials, const VerifyOptions& options,
                     VerificationReport& report) {
  auto phase = core::SystemClock::Get().Monotonic();
  RepositoryAccess access = options.access;
  if (catalog::IsNativeBackup(snap)) {
    return ExamineNative(repo, snap, scratch, credentials, options, report);
  }
  HS_ASSIGN_OR_RETURN(auto target,
                      engine::ClusterHandle::Open(scratch.platform(), scratch.cluster()));
  engine::Engine& engine = target.engine();
  HS_ASSIGN_OR_RETURN(jobs::RestoreIntoResult restored, RestoreInto(repo, snap, target, access));
  report.phase_seconds["restore"] = Since(phase);
  report.restored_bytes = restored.bytes;
  if (restored.stream_complete && !restored.dump_complete) {
    report.failures.push_back(std::string("dump is incomplete: it does not end with '") +
                              engine.DumpEndMarker() +
                              "' (truncated or cut short when it was made)");
  }
  if (!restored.restore.ok()) {
    report.failures.push_back("restore failed: " + Clip(restored.restore.message()));
    return core::Status::Ok();
  }
  phase = core::SystemClock::Get().Monotonic();
  // The restore kept the scratch admin's own password (the engine's restore never replaces the
  // password of the role it restores as), so the checks connect with the scratch credentials.
  AddChecks(CheckFirstInstance(engine, scratch.platform(), scratch.cluster()), report);
  report.phase_seconds["checks"] = Since(phase);
  return core::Status::Ok();
}

// Brings the scratch instance up, examines, tears it down; kTimeout when the watchdog fired.
core::Status RunInScratch(const platform::Cluster& cluster, repo::Repository& repo,
                          const repo::Snapshot& snap, const VerifyOptions& options,
                          const std::string& root, VerificationReport& report) {
  Watchdog watchdog(options.timeout, root + "/" + std::to_string(::getpid()) + "-");
  auto phase = core::SystemClock::Get().Monotonic();
  auto cluster_engine = engine::MakeEngine(cluster.engine);
  HS_TRY(cluster_engine.status());
  auto scratch = ScratchInstance::Create((*cluster_engine)->ScratchKind(), root);
  report.phase_seconds["sandbox_up"] = Since(phase);
  core::Status st = scratch.ok()
                        ? Examine(repo, snap, **scratch, cluster.credentials, options, report)
                        : scratch.status();
  if (scratch.ok()) {
    phase = core::SystemClock::Get().Monotonic();
    core::Status down = (*scratch)->Teardown();
    report.phase_seconds["teardown"] = Since(phase);
    if (st.ok() && !down.ok())
      st = down;
  }
  if (watchdog.expired()) {
    return core::Status(core::ErrorCode::kTimeout,
                        "verification of snapshot " + report.snapshot_id.substr(0, 8) +
                            " did not finish within " + std::to_string(options.timeout.count()) +
                            "s",
                        "raise --timeout; no evidence was recorded");
  }
  return st;
}

// One verification of `snap` in a scratch instance under `root`: the report, not recorded.
core::Result<VerificationReport> VerifyInScratch(const platform::Cluster& cluster,
                                                 repo::Repository& repo, const repo::Snapshot& snap,
                                                 const VerifyOptions& options,
                                                 const std::string& root) {
  VerificationReport report;
  report.snapshot_id = repo::IdToHex(snap.id);
  report.engine = platform::EngineKindName(cluster.engine);
  report.cluster = cluster.name;
  report.ns = cluster.ns;
  report.tool_version = options.tool_version;
  report.started = Now().Format();
  auto start = core::SystemClock::Get().Monotonic();
  core::LogInfo("verifying snapshot " + report.snapshot_id.substr(0, 8),
                {{"cluster", cluster.ns + "/" + cluster.name}});
  HS_TRY(RunInScratch(cluster, repo, snap, options, root, report));
  report.finished = Now().Format();
  report.duration_seconds = Since(start);
  report.ok = report.failures.empty();
  return report;
}

}  // namespace

core::Result<std::string> RecordReport(repo::Repository& repo, const VerificationReport& report) {
  std::string json = EncodeReport(report);
  core::MemorySource src(core::Bytes(json.begin(), json.end()));
  repo::BackupOptions bo;
  bo.filename = report.ns + "/" + report.cluster + "/verification.json";
  bo.tags = {"engine=" + report.engine,
             "cluster=" + report.cluster,
             "namespace=" + report.ns,
             repo::TypeTag(repo::SnapshotType::kVerification),
             std::string(kTagVerifies) + "=" + report.snapshot_id,
             std::string(kTagVerdict) + "=" + report.Verdict()};
  bo.hostname = report.ns + "-" + report.cluster;
  bo.time = Now();
  HS_ASSIGN_OR_RETURN(auto summary, repo::BackupStream(repo, src, bo));
  return repo::IdToHex(summary.snapshot_id);
}

core::Result<VerificationReport> VerifySnapshot(const platform::Cluster& cluster,
                                                repo::Repository& repo, const repo::Snapshot& snap,
                                                const VerifyOptions& options) {
  std::string root = options.verify_root.empty() ? DefaultVerifyRoot() : options.verify_root;
  HS_TRY(CleanupOrphans(root).status());
  return VerifyInScratch(cluster, repo, snap, options, root);
}

core::Result<VerifyOutcome> VerifyCluster(const platform::Cluster& cluster, repo::Repository& repo,
                                          const VerifyOptions& options) {
  VerifyOutcome out;
  std::string root = options.verify_root.empty() ? DefaultVerifyRoot() : options.verify_root;
  HS_ASSIGN_OR_RETURN(auto orphans, CleanupOrphans(root));
  out.orphans_removed = static_cast<int>(orphans.size());
  HS_ASSIGN_OR_RETURN(auto backups,
                      jobs::ClusterSnapshots(repo, cluster, repo::SnapshotType::kBackup));
  HS_ASSIGN_OR_RETURN(auto verifications,
                      jobs::ClusterSnapshots(repo, cluster, repo::SnapshotType::kVerification));
  auto decision = DecideVerification(backups, IndexVerifications(verifications), options.snapshot,
                                     options.force);
  if (!decision.ok()) {
    return decision.TakeStatus().Wrap("cluster '" + cluster.ns + "/" + cluster.name + "'");
  }
  out.reason = decision->reason;
  if (decision->already_verified) {
    out.skipped = true;
    return out;
  }
  HS_ASSIGN_OR_RETURN(out.report, VerifyInScratch(cluster, repo, *decision->target, options, root));
  HS_ASSIGN_OR_RETURN(out.evidence_id, RecordReport(repo, out.report));
  return out;
}

}  // namespace hasteward::verify
