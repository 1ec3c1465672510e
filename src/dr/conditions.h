// dr/conditions: a standby's state as Kubernetes-style conditions (type, status, reason, message,
// lastTransitionTime), so the same shape serves `standby status`, metrics and a later CRD status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "dr/discovery.h"
#include "dr/freshness.h"
#include "dr/verification_record.h"

namespace hasteward::dr {

enum class ConditionType { kBucketReadable, kSourceConfigKnown, kRestorable, kFresh, kStale };
enum class ConditionStatus { kTrue, kFalse, kUnknown };

const char* ConditionTypeName(ConditionType type);  // "BucketReadable", ...
std::optional<ConditionType> ParseConditionType(const std::string& name);
const char* ConditionStatusName(ConditionStatus status);  // "True", "False", "Unknown"
std::optional<ConditionStatus> ParseConditionStatus(const std::string& name);

struct Condition {
  ConditionType type = ConditionType::kBucketReadable;
  ConditionStatus status = ConditionStatus::kUnknown;
  std::string reason;           // CamelCase, machine-readable
  std::string message;          // one line for people
  int64_t last_transition = 0;  // unix seconds the status last changed
};

// The reason BucketReadable gives for a failed open: WrongPassword, RepositoryNotFound,
// PasswordFileUnreadable, Unreachable (storage, network, timeout), OpenFailed.
const char* OpenFailureReason(const core::Status& open_error);

// Every condition when the repository could not be opened: BucketReadable False with the reason,
// the others Unknown (nothing could be read).
std::vector<Condition> UnreadableConditions(const core::Status& open_error);

// Every condition from one discovery of an opened repository and the standby's own last
// verification (Restorable: True/Verified when it is of the newest backup and passed; False with
// NotYetVerified, VerificationFailed, VerificationError or NoBackups otherwise).
std::vector<Condition> EvaluateConditions(const Discovery& discovery, const Freshness& freshness,
                                          const std::optional<VerificationRecord>& verification);

// `current` with each condition's last_transition carried over from `previous` when its status
// did not change, and `now` when it did (or the condition is new).
std::vector<Condition> MergeTransitions(const std::vector<Condition>& previous,
                                        std::vector<Condition> current, int64_t now);

const Condition* FindCondition(const std::vector<Condition>& conditions, ConditionType type);

}  // namespace hasteward::dr
