#include "dr/verification_gate.h"

#include <array>
#include <utility>

namespace hasteward::dr {

namespace {

constexpr std::array<std::pair<GateReason, const char*>, 7> kReasonNames = {{
    {GateReason::kNoBackups, "NoBackups"},
    {GateReason::kNeverVerified, "NeverVerified"},
    {GateReason::kNewBackup, "NewBackup"},
    {GateReason::kRetryDue, "RetryDue"},
    {GateReason::kForced, "Forced"},
    {GateReason::kAlreadyVerified, "AlreadyVerified"},
    {GateReason::kRetryNotDue, "RetryNotDue"},
}};

std::string Short(const std::string& id) {
  return id.substr(0, 8);
}

}  // namespace

const char* GateReasonName(GateReason reason) {
  for (const auto& [value, name] : kReasonNames) {
    if (value == reason) {
      return name;
    }
  }
  return "Unknown";
}

VerificationGate DecideStandbyVerification(const Discovery& discovery,
                                           const std::optional<VerificationRecord>& last,
                                           bool force, bool retry_due) {
  if (!discovery.newest_backup) {
    return {false, GateReason::kNoBackups, NoNativeBackup(discovery)};
  }
  const std::string newest = Short(discovery.newest_backup->id);
  if (force) {
    return {true, GateReason::kForced, "verifying the newest backup " + newest + " (--force)"};
  }
  if (!last) {
    return {true, GateReason::kNeverVerified,
            "verifying the newest backup " + newest + ": the standby never verified one"};
  }
  // Any other backup than the one last verified runs, also one that ended earlier (the source
  // removed its newer one): Restorable speaks of the backup an activation would restore.
  if (last->snapshot_id != discovery.newest_backup->id) {
    return {true, GateReason::kNewBackup,
            "verifying the newest backup " + newest + ": the last verified was " +
                Short(last->snapshot_id)};
  }
  if (last->passed()) {
    return {false, GateReason::kAlreadyVerified,
            "the newest backup " + newest + " already passed; nothing restored"};
  }
  if (retry_due) {
    return {true, GateReason::kRetryDue,
            "verifying the newest backup " + newest + " again: its last verification " +
                VerificationResultName(last->result) + " and the verify schedule fired since"};
  }
  return {false, GateReason::kRetryNotDue,
          "the newest backup " + newest + " failed its last verification (" + last->reason +
              "); nothing restored until the verify schedule fires or --force"};
}

}  // namespace hasteward::dr
