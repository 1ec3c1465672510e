// verify/evidence: reading verification evidence back from snapshot metadata alone (tags), so a
// listing or a standby sharing the repository needs no snapshot content. Pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "repo/snapshot/snapshot.h"
#include "repo/snapshot/snapshot_type.h"

namespace hasteward::verify {

// Tags of a verification snapshot (type=verification) beyond engine/cluster/namespace.
inline constexpr char kTagVerifies[] = "verifies";
inline constexpr char kTagVerdict[] = "verdict";

// The newest verification of one backup snapshot.
struct VerificationState {
  std::string verdict;          // "ok" or "failed"
  repo::GoTime time;            // when it was recorded
  std::string verification_id;  // hex ID of the verification snapshot
};

// backup snapshot ID (full hex) -> its newest verification. Snapshots of other types are ignored.
std::map<std::string, VerificationState> IndexVerifications(
    const std::vector<repo::Snapshot>& snapshots);

// "verified ok" / "failed" / "never" for a listing.
std::string DescribeVerification(const std::map<std::string, VerificationState>& index,
                                 const std::string& backup_id);

// What a verification run should do with a cluster's backups (oldest first, as listed).
struct GateDecision {
  std::optional<repo::Snapshot> target;  // the backup to restore, if any
  bool already_verified = false;         // target skipped: it has a verification and !force
  std::string reason;                    // one line for logs and output
};

// Picks the backup named by `ref` ("latest", an ID or prefix) among `backups` and skips it when
// `index` already holds a verification of it, unless `force`. So a scheduled run restores again
// only when a newer backup exists. kNotFound when `ref` matches nothing.
core::Result<GateDecision> DecideVerification(const std::vector<repo::Snapshot>& backups,
                                              const std::map<std::string, VerificationState>& index,
                                              const std::string& ref, bool force);

}  // namespace hasteward::verify
