// dr/standby_verifier: a DR standby's own verification (dr/standby_verify.h) bound to the
// verify layer's scratch restore, which the dr layer sits beside and may not include, and to the
// verify schedule (core/cron.h) that decides when a failed one is retried. Here because both
// `hasteward standby verify` and serve's standby loop (standby_runner.h) verify the same way.
#pragma once

#include <cstdint>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "dr/standby_verify.h"

namespace hasteward::dr {

struct StandbyVerifierOptions {
  std::string inventory_path;  // the local platform's inventory ("" = its default)
  std::string verify_root;     // where scratch instances live ("" = <state dir>/verify)
  bool force = false;          // `standby verify --force`
  const core::Clock* clock = &core::SystemClock::Get();
};

// The verify layer's scratch restore for `spec`'s source engine, reading the repository without
// a lock (it writes nothing there), bounded by activation.restoreTimeout. The restored data of a
// native backup brings the source's roles: its checks connect with the credentials of the
// template's cluster in the inventory (the source's, provisioned ahead as activation needs them);
// a dump is checked with the scratch instance's own.
SnapshotVerifier ScratchSnapshotVerifier(const StandbySpec& spec,
                                         const StandbyVerifierOptions& options);

// True when the five-field cron `schedule` has a firing after `verified_at` and at or before
// `now` (unix seconds): a failed verification is then retried. False for "" (no schedule) and for
// a schedule that does not parse (the declaration's parser already refused it).
bool VerifyRetryDue(const std::string& schedule, int64_t verified_at, int64_t now);

// One gated verification of the standby now (VerifyStandby with the two above).
core::Result<StandbyVerifyOutcome> VerifyStandbyNow(const StandbySpec& spec,
                                                    const StandbyVerifierOptions& options);

}  // namespace hasteward::dr
