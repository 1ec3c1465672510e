// verify: proving that a backup restores. A verification restores one type=backup snapshot into a
// throwaway single-instance server (scratch_instance.h), proves it healthy (Engine::CheckData),
// always tears it down, and records a verdict in the repository as a small snapshot tagged
// type=verification, verifies=<id>, verdict=ok|failed holding a JSON report (report.h) that
// stock restic reads like any other snapshot. Gating (evidence.h) makes a repeated run restore
// only when a newer backup exists. Depends on jobs and below.
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"
#include "platform/platform.h"
#include "repo/repository.h"
#include "verify/report.h"
#include "verify/restore_into.h"

namespace hasteward::verify {

struct VerifyOptions {
  std::string snapshot = "latest";  // ID, prefix or "latest" among the cluster's backups
  bool force = false;               // verify again although evidence exists
  std::chrono::seconds timeout{0};  // 0 = none; on expiry the scratch server is killed
  std::string verify_root;          // "" = DefaultVerifyRoot()
  std::string tool_version = "0.1.0";
  RepositoryAccess access = RepositoryAccess::kLocked;  // kReadOnly: no lock file either
  // A native snapshot is not restored but served: the scratch server runs on an overlay of the
  // mounted snapshot (jobs::ServeNativeInstant), so nothing is copied before the checks.
  bool instant = false;
};

struct VerifyOutcome {
  bool skipped = false;       // gating: the snapshot already has evidence
  std::string reason;         // why it ran or was skipped
  VerificationReport report;  // when !skipped
  std::string evidence_id;    // hex ID of the verification snapshot written
  int orphans_removed = 0;    // leftovers of crashed runs cleaned first
};

// Verifies a backup of `cluster` (engine/cluster/namespace tags select its snapshots). A failed
// verdict is a successful call with report.ok == false (the caller maps it to kVerifyFailed).
// Errors: kNotFound (no such backup), kTimeout (options.timeout passed; no evidence recorded),
// repository errors, and failures to start the scratch server. The scratch server and its
// directory are gone when this returns, whatever happened.
core::Result<VerifyOutcome> VerifyCluster(const platform::Cluster& cluster, repo::Repository& repo,
                                          const VerifyOptions& options);

// Verifies the backup snapshot `snap` of `cluster` in a scratch instance under
// options.verify_root (crashed runs' leftovers removed first) and returns the report without
// recording it anywhere: for a caller that keeps its own record (a DR standby, whose source
// repository it must not write). options.snapshot and options.force are not used. Errors as
// VerifyCluster's; the scratch server and its directory are gone when this returns.
core::Result<VerificationReport> VerifySnapshot(const platform::Cluster& cluster,
                                                repo::Repository& repo, const repo::Snapshot& snap,
                                                const VerifyOptions& options);

// Saves a report as a verification snapshot; returns its hex ID.
core::Result<std::string> RecordReport(repo::Repository& repo, const VerificationReport& report);

}  // namespace hasteward::verify
