// StandbyReport's renderings and exit code (dr/dr.h).
#include <nlohmann/json.hpp>

#include "dr/dr.h"
#include "repo/format/go_json.h"

namespace hasteward::dr {

namespace {

nlohmann::json BackupJson(const std::optional<DiscoveredBackup>& backup) {
  if (!backup) {
    return nullptr;
  }
  nlohmann::json json = {{"id", backup->id},
                         {"end", backup->end.Format()},
                         {"endRecorded", backup->end_recorded},
                         {"native", backup->native}};
  json["endSegment"] = backup->end_position ? nlohmann::json(backup->end_position->name) : nullptr;
  return json;
}

nlohmann::json ArchiveJson(const std::optional<ArchiveHead>& archive) {
  if (!archive) {
    return nullptr;
  }
  return {{"pieces", archive->pieces},
          {"newestPiece", archive->newest_piece_id},
          {"newestPieceAt", archive->newest_piece_at.Format()},
          {"lastSegment", archive->wal ? nlohmann::json(archive->wal->name) : nullptr}};
}

// What an activation now would make of the source's demotion marker (dr/replay_end.h).
nlohmann::json MarkerJson(const MarkerJudgement& judgement) {
  nlohmann::json json = {{"standing", MarkerStandingName(judgement.standing)},
                         {"reason", judgement.reason}};
  if (judgement.marker) {
    json["position"] = judgement.marker->position;
    json["end"] = judgement.marker->end;
    json["written"] = repo::GoTime{judgement.marker->written_unix, 0, 0}.Format();
    json["writer"] = judgement.marker->writer;
  }
  return json;
}

std::string MarkerText(const MarkerJudgement& judgement) {
  std::string out = "  demotion marker: " + std::string(MarkerStandingName(judgement.standing));
  if (judgement.marker) {
    out += ", the source's writes end at " + judgement.marker->end + ", " +
           judgement.marker->position + " (written " +
           repo::GoTime{judgement.marker->written_unix, 0, 0}.Format() + " by " +
           judgement.marker->writer + ")";
  }
  if (!judgement.reason.empty()) {
    out += ": " + judgement.reason;
  }
  return out + "\n";
}

bool IsTrue(const std::vector<Condition>& conditions, ConditionType type) {
  const Condition* condition = FindCondition(conditions, type);
  return condition != nullptr && condition->status == ConditionStatus::kTrue;
}

}  // namespace

nlohmann::json StandbyReport::ToJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& condition : conditions) {
    list.push_back(
        {{"type", ConditionTypeName(condition.type)},
         {"status", ConditionStatusName(condition.status)},
         {"reason", condition.reason},
         {"message", condition.message},
         {"lastTransitionTime", repo::GoTime{condition.last_transition, 0, 0}.Format()}});
  }
  nlohmann::json json = {{"name", name},
                         {"repository", repository},
                         {"source",
                          {{"engine", platform::EngineKindName(source.engine)},
                           {"namespace", source.ns},
                           {"name", source.name}}},
                         {"checkedAt", repo::GoTime{checked_at, 0, 0}.Format()},
                         {"conditions", list},
                         {"stateFile", state_file}};
  if (readable) {
    json["discovered"] = {{"backups", discovery.backups},
                          {"logicalBackups", discovery.logical_backups},
                          {"verifications", discovery.verifications},
                          {"newestBackup", BackupJson(discovery.newest_backup)},
                          {"newestVerified", BackupJson(discovery.newest_verified)},
                          {"archive", ArchiveJson(discovery.archive)}};
    json["freshness"] = {{"state", FreshnessStateName(freshness.state)},
                         {"stale", freshness.stale},
                         {"backlogSegments", freshness.backlog_segments},
                         {"evidenceAgeSeconds", freshness.evidence_age_seconds}};
    json["cursor"] = cursor.ToJson(name);
    if (marker.standing != MarkerStanding::kAbsent) {
      json["demotionMarker"] = MarkerJson(marker);
    }
  }
  if (verification) {
    json["verification"] = VerificationRecordJson(*verification);
  }
  if (activation.phase != ActivationPhase::kNone) {
    json["activation"] = ActivationRecordJson(activation);
  }
  return json;
}

std::string StandbyReport::ToText() const {
  std::string out = "standby " + name + ": source " + source.ns + "/" + source.name + " (" +
                    platform::EngineKindName(source.engine) + ") in " + repository + "\n";
  for (const auto& condition : conditions) {
    out += std::string("  ") + ConditionTypeName(condition.type) + "=" +
           ConditionStatusName(condition.status) + " " + condition.reason + " (since " +
           repo::GoTime{condition.last_transition, 0, 0}.Format() + "): " + condition.message +
           "\n";
  }
  if (readable) {
    out += cursor.ToText(name);
    if (marker.standing != MarkerStanding::kAbsent) {
      out += MarkerText(marker);
    }
  }
  if (activation.phase != ActivationPhase::kNone) {
    out += ActivationRecordText(activation);
  }
  return out;
}

core::ErrorCode StandbyReport::ExitCode() const {
  if (!readable) {
    return open_error.code();
  }
  if (!discovery.newest_backup) {
    return core::ErrorCode::kNotFound;
  }
  if (IsTrue(conditions, ConditionType::kStale) ||
      !IsTrue(conditions, ConditionType::kRestorable)) {
    return core::ErrorCode::kHealthDegraded;
  }
  // An unwritten cursor leaves the source free to prune what this standby needs.
  if (!cursor.error.ok()) {
    return core::ErrorCode::kHealthDegraded;
  }
  return core::ErrorCode::kOk;
}

}  // namespace hasteward::dr
