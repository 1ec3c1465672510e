#include "dr/conditions.h"

#include <array>
#include <utility>

namespace hasteward::dr {

namespace {

constexpr std::array<std::pair<ConditionType, const char*>, 5> kTypeNames = {{
    {ConditionType::kBucketReadable, "BucketReadable"},
    {ConditionType::kSourceConfigKnown, "SourceConfigKnown"},
    {ConditionType::kRestorable, "Restorable"},
    {ConditionType::kFresh, "Fresh"},
    {ConditionType::kStale, "Stale"},
}};

constexpr std::array<std::pair<ConditionStatus, const char*>, 3> kStatusNames = {{
    {ConditionStatus::kTrue, "True"},
    {ConditionStatus::kFalse, "False"},
    {ConditionStatus::kUnknown, "Unknown"},
}};

ConditionStatus StatusOf(bool value) {
  return value ? ConditionStatus::kTrue : ConditionStatus::kFalse;
}

std::string Short(const std::string& id) {
  return id.substr(0, 8);
}

Condition SourceConfigKnown(const Discovery& discovery) {
  if (!discovery.newest_backup) {
    return {ConditionType::kSourceConfigKnown, ConditionStatus::kFalse, "NoBackups",
            NoNativeBackup(discovery) + "; check source.cluster", 0};
  }
  const DiscoveredBackup& newest = *discovery.newest_backup;
  std::string message = std::to_string(discovery.backups) + " native backup(s); newest " +
                        Short(newest.id) + " ended " + newest.end.Format() +
                        (newest.end_recorded ? "" : " (no recorded end: its start time)");
  if (discovery.archive) {
    message += "; archive of " + std::to_string(discovery.archive->pieces) + " piece(s)" +
               (discovery.archive->wal ? " up to " + discovery.archive->wal->name : "");
  }
  return {ConditionType::kSourceConfigKnown, ConditionStatus::kTrue, "BackupsFound", message, 0};
}

// Restorable is True only when the backup an activation would restore (the newest by recorded
// end) passed the standby's own verification: an older verified backup proves less (its successor
// may be broken), and the gating of seed 003 verifies again only for a newer backup.
//
// Verifications the source wrote into its repository (Discovery::newest_verified) do not count:
// they prove a restore at the source site, with the source's binaries and credentials. What a
// disaster needs proven is that this site, with only the bucket, restores the backup, which only a
// DR-side restore shows; and a source that is failing is the last witness to trust about its own
// backups. They stay in the message and in `discovered` as information.
Condition Restorable(const Discovery& discovery, const std::optional<VerificationRecord>& record) {
  if (!discovery.newest_backup) {
    return {ConditionType::kRestorable, ConditionStatus::kFalse, "NoBackups", "nothing to restore",
            0};
  }
  const DiscoveredBackup& newest = *discovery.newest_backup;
  if (record && record->snapshot_id == newest.id) {
    const std::string when = repo::GoTime{record->verified_at, 0, 0}.Format();
    switch (record->result) {
      case VerificationResult::kPassed:
        return {ConditionType::kRestorable, ConditionStatus::kTrue, "Verified",
                "the newest backup " + Short(newest.id) +
                    " restored and passed its checks at this site at " + when,
                0};
      case VerificationResult::kFailed:
        return {ConditionType::kRestorable, ConditionStatus::kFalse, "VerificationFailed",
                "the newest backup " + Short(newest.id) + " failed its verification at " + when +
                    ": " + record->reason,
                0};
      case VerificationResult::kError:
        return {ConditionType::kRestorable, ConditionStatus::kFalse, "VerificationError",
                "the verification of the newest backup " + Short(newest.id) + " could not run at " +
                    when + ": " + record->reason,
                0};
    }
  }
  std::string message =
      "the newest backup " + Short(newest.id) + " has not been verified at this site";
  if (record) {
    message += "; the last verified was " + Short(record->snapshot_id) + " (" +
               VerificationResultName(record->result) + ")";
  }
  if (discovery.newest_verified && discovery.newest_verified->id == newest.id) {
    message += "; the source verified it (not counted)";
  }
  return {ConditionType::kRestorable, ConditionStatus::kFalse, "NotYetVerified",
          message + " (run 'hasteward standby verify' for it)", 0};
}

}  // namespace

const char* ConditionTypeName(ConditionType type) {
  for (const auto& [value, name] : kTypeNames) {
    if (value == type) {
      return name;
    }
  }
  return "Unknown";
}

std::optional<ConditionType> ParseConditionType(const std::string& name) {
  for (const auto& [value, text] : kTypeNames) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

const char* ConditionStatusName(ConditionStatus status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) {
      return name;
    }
  }
  return "Unknown";
}

std::optional<ConditionStatus> ParseConditionStatus(const std::string& name) {
  for (const auto& [value, text] : kStatusNames) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

const char* OpenFailureReason(const core::Status& open_error) {
  switch (open_error.code()) {
    case core::ErrorCode::kWrongPassword: return "WrongPassword";
    case core::ErrorCode::kRepoNotFound: return "RepositoryNotFound";
    case core::ErrorCode::kUsage: return "PasswordFileUnreadable";
    case core::ErrorCode::kStorage:
    case core::ErrorCode::kUnreachable:
    case core::ErrorCode::kTimeout: return "Unreachable";
    default: return "OpenFailed";
  }
}

std::vector<Condition> UnreadableConditions(const core::Status& open_error) {
  std::vector<Condition> conditions = {{ConditionType::kBucketReadable, ConditionStatus::kFalse,
                                        OpenFailureReason(open_error), open_error.message(), 0}};
  for (ConditionType type : {ConditionType::kSourceConfigKnown, ConditionType::kRestorable,
                             ConditionType::kFresh, ConditionType::kStale}) {
    conditions.push_back({type, ConditionStatus::kUnknown, "BucketUnreadable",
                          "the source repository could not be read", 0});
  }
  return conditions;
}

std::vector<Condition> EvaluateConditions(const Discovery& discovery, const Freshness& freshness,
                                          const std::optional<VerificationRecord>& verification) {
  std::vector<Condition> conditions = {{ConditionType::kBucketReadable, ConditionStatus::kTrue,
                                        "Opened", "the repository opens with the password", 0}};
  conditions.push_back(SourceConfigKnown(discovery));
  conditions.push_back(Restorable(discovery, verification));
  std::string reason = FreshnessStateName(freshness.state);
  if (freshness.state == FreshnessState::kNoBackups) {
    conditions.push_back(
        {ConditionType::kFresh, ConditionStatus::kUnknown, reason, freshness.message, 0});
    conditions.push_back(
        {ConditionType::kStale, ConditionStatus::kUnknown, reason, freshness.message, 0});
    return conditions;
  }
  conditions.push_back(
      {ConditionType::kFresh, StatusOf(!freshness.stale), reason, freshness.message, 0});
  conditions.push_back(
      {ConditionType::kStale, StatusOf(freshness.stale), reason, freshness.message, 0});
  return conditions;
}

std::vector<Condition> MergeTransitions(const std::vector<Condition>& previous,
                                        std::vector<Condition> current, int64_t now) {
  for (auto& condition : current) {
    const Condition* before = FindCondition(previous, condition.type);
    condition.last_transition =
        before != nullptr && before->status == condition.status ? before->last_transition : now;
  }
  return current;
}

const Condition* FindCondition(const std::vector<Condition>& conditions, ConditionType type) {
  for (const auto& condition : conditions) {
    if (condition.type == type) {
      return &condition;
    }
  }
  return nullptr;
}

}  // namespace hasteward::dr
