// dr/verification_gate: whether a standby restores its source's newest backup again (the gating of
// seed 003). A verification is a full restore into a scratch instance, so it runs only when it can
// prove something new: a backup it has not verified yet, or a retry of a failed one once the verify
// schedule has fired since. Pure, so tests/dr/verification_gate_test.cpp walks the table.
#pragma once

#include <optional>
#include <string>

#include "dr/discovery.h"
#include "dr/verification_record.h"

namespace hasteward::dr {

enum class GateReason {
  kNoBackups,        // skip: nothing to restore
  kNeverVerified,    // run: the standby never verified a backup
  kNewBackup,        // run: the newest backup is not the one last verified
  kRetryDue,         // run: the last verification of it failed and the schedule fired since
  kForced,           // run: --force
  kAlreadyVerified,  // skip: the newest backup already passed
  kRetryNotDue,      // skip: it failed and the schedule has not fired since
};

const char* GateReasonName(GateReason reason);  // "NoBackups", "NeverVerified", ...

struct VerificationGate {
  bool run = false;
  GateReason reason = GateReason::kNoBackups;
  std::string message;  // one line for output and logs
};

// `last` is the standby's previous record; `retry_due` says the verify schedule fired after it was
// made (the caller owns the schedule); `force` runs whenever a backup exists.
VerificationGate DecideStandbyVerification(const Discovery& discovery,
                                           const std::optional<VerificationRecord>& last,
                                           bool force, bool retry_due);

}  // namespace hasteward::dr
