// dr/standby_verify: the standby's own verification of its source's newest backup (issue #15,
// Restorable): gated as in seed 003 (verification_gate.h), the backup is restored into a throwaway
// instance on this machine and checked, the instance is gone afterwards, and the result is recorded
// in the standby's state file (never in the source's repository, which this reads only). The
// restore itself is injected (SnapshotVerifier): it is the verify layer's scratch restore, which
// this layer may not include; dr/standby_verifier.h binds it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/clock.h"
#include "core/status.h"
#include "dr/conditions.h"
#include "dr/standby_spec.h"
#include "dr/verification_gate.h"
#include "dr/verification_record.h"
#include "repo/repository.h"

namespace hasteward::dr {

// What a scratch restore of one backup found.
struct ScratchVerdict {
  bool ok = false;
  std::vector<std::string> failures;  // why not ok, one line each
  uint64_t restored_bytes = 0;
};

// Restores `backup` from `repository` (opened read-only: it must write nothing there, not even a
// lock) into a throwaway instance, checks it and tears the instance down whatever happens. A
// backup that does not restore is a verdict; an error means the verification could not run.
using SnapshotVerifier =
    std::function<core::Result<ScratchVerdict>(repo::Repository&, const repo::Snapshot&)>;

struct StandbyVerifyOptions {
  SnapshotVerifier verifier;  // required
  bool force = false;         // verify although the gate would skip
  // True when the verify schedule fired after `verified_at` (unix seconds), so a failed
  // verification is retried. Empty: a failed one is retried only with force.
  std::function<bool(int64_t verified_at)> retry_due;
  const core::Clock* clock = &core::SystemClock::Get();
};

struct StandbyVerifyOutcome {
  std::string name;
  std::string state_file;
  VerificationGate gate;
  // The record made now when gate.run, else the standby's last one (none before the first).
  std::optional<VerificationRecord> record;
  core::Status error;                 // why this run's verification could not run (result Error)
  std::vector<Condition> conditions;  // as recorded in the state file afterwards

  // {"name","stateFile","ran","gate":{reason,message},"verification"?,"conditions":[...]}
  nlohmann::json ToJson() const;
  std::string ToText() const;
  // 0 when the newest backup passed (now or before); 28 verify-failed when it failed (now, or it
  // is skipped after a failure); the error's code when the verification could not run; 20
  // not-found without a backup.
  core::ErrorCode ExitCode() const;
};

// Opens and lists the source repository (its errors are returned), discovers the newest backup,
// gates, verifies it with options.verifier when the gate says so, and records the result and the
// conditions in the state file (UpdateStandbyState: serve's discovery of the same standby may run
// beside it). Writes nothing to the source's repository.
core::Result<StandbyVerifyOutcome> VerifyStandby(const StandbySpec& spec,
                                                 const StandbyVerifyOptions& options);

}  // namespace hasteward::dr
