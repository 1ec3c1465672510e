#include "dr/standby_verify.h"

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "dr/dr.h"
#include "dr/standby_state.h"
#include "engine/engine.h"

namespace hasteward::dr {

namespace {

// A reason of bounded length: a restore client's output keeps its end, where the error is.
std::string Clip(const std::string& text) {
  constexpr size_t kMax = 600;
  return text.size() <= kMax ? text : "..." + text.substr(text.size() - kMax);
}

const repo::Snapshot* FindSnapshot(const std::vector<repo::Snapshot>& snapshots,
                                   const std::string& id) {
  for (const auto& snapshot : snapshots) {
    if (repo::IdToHex(snapshot.id) == id) {
      return &snapshot;
    }
  }
  return nullptr;
}

std::string JoinFailures(const std::vector<std::string>& failures) {
  std::string out;
  for (const auto& failure : failures) {
    out += (out.empty() ? "" : "; ") + failure;
  }
  return out.empty() ? "the checks failed" : out;
}

// Runs the verifier on the newest backup and makes its record; `error` gets why it could not run.
VerificationRecord Verify(const DiscoveredBackup& newest, const repo::Snapshot& snapshot,
                          repo::Repository& repository, const StandbyVerifyOptions& options,
                          core::Status& error) {
  VerificationRecord record;
  record.snapshot_id = newest.id;
  record.backup_end = newest.end.Format();
  const auto started = options.clock->Monotonic();
  auto verdict = options.verifier(repository, snapshot);
  record.duration_seconds = core::SecondsSince(*options.clock, started);
  record.verified_at = options.clock->NowUnixSeconds();
  if (!verdict.ok()) {
    error = verdict.TakeStatus();
    record.result = VerificationResult::kError;
    record.reason = Clip(error.message());
  } else if (verdict->ok) {
    record.result = VerificationResult::kPassed;
    record.reason = "restored " + std::to_string(verdict->restored_bytes) +
                    " bytes into a scratch instance; every check passed";
  } else {
    record.result = VerificationResult::kFailed;
    record.reason = Clip(JoinFailures(verdict->failures));
  }
  return record;
}

}  // namespace

core::Result<StandbyVerifyOutcome> VerifyStandby(const StandbySpec& spec,
                                                 const StandbyVerifyOptions& options) {
  StandbyVerifyOutcome out;
  out.name = spec.name;
  out.state_file = StandbyStateFile(spec);
  HS_ASSIGN_OR_RETURN(StandbyState before, LoadStandbyState(out.state_file));
  HS_ASSIGN_OR_RETURN(auto repository, OpenSourceRepository(spec.source));
  HS_ASSIGN_OR_RETURN(auto snapshots, repository->ListSnapshots());
  HS_ASSIGN_OR_RETURN(auto engine, engine::MakeEngine(spec.source.engine));
  Discovery discovery = Discover(snapshots, spec.SourceCluster(), engine->archiving());
  const bool retry_due = before.verification && options.retry_due &&
                         options.retry_due(before.verification->verified_at);
  out.gate = DecideStandbyVerification(discovery, before.verification, options.force, retry_due);
  out.record = before.verification;
  if (out.gate.run) {
    const repo::Snapshot* snapshot = FindSnapshot(snapshots, discovery.newest_backup->id);
    if (snapshot == nullptr) {  // discovery chose it from this listing: a bug
      return core::Status(core::ErrorCode::kInternal,
                          "the discovered backup is not in the listing");
    }
    core::LogInfo("standby verification: " + out.gate.message, {{"standby", spec.name}});
    out.record = Verify(*discovery.newest_backup, *snapshot, *repository, options, out.error);
  }
  const Freshness freshness =
      EvaluateFreshness(discovery, options.clock->Now(), spec.freshness.max_staleness);
  const int64_t now = options.clock->NowUnixSeconds();
  HS_TRY(UpdateStandbyState(out.state_file, [&](StandbyState& state) {
    state.name = spec.name;
    if (out.gate.run) {
      state.verification = out.record;
    }
    out.record = state.verification;
    out.conditions = MergeTransitions(
        state.conditions, EvaluateConditions(discovery, freshness, state.verification), now);
    state.conditions = out.conditions;
  }));
  return out;
}

nlohmann::json StandbyVerifyOutcome::ToJson() const {
  nlohmann::json conditions_json = nlohmann::json::array();
  for (const auto& condition : conditions) {
    conditions_json.push_back({{"type", ConditionTypeName(condition.type)},
                               {"status", ConditionStatusName(condition.status)},
                               {"reason", condition.reason},
                               {"message", condition.message}});
  }
  nlohmann::json json = {
      {"name", name},
      {"stateFile", state_file},
      {"ran", gate.run},
      {"gate", {{"reason", GateReasonName(gate.reason)}, {"message", gate.message}}},
      {"conditions", conditions_json}};
  if (record) {
    json["verification"] = VerificationRecordJson(*record);
  }
  if (!error.ok()) {
    json["error"] = error.ToString();
  }
  return json;
}

std::string StandbyVerifyOutcome::ToText() const {
  std::string out = "standby " + name + ": " + gate.message + "\n";
  if (record) {
    out += "  verification of " + record->snapshot_id.substr(0, 8) + " (ended " +
           record->backup_end + "): " + VerificationResultName(record->result) + " at " +
           repo::GoTime{record->verified_at, 0, 0}.Format() + ": " + record->reason + "\n";
  }
  if (const Condition* restorable = FindCondition(conditions, ConditionType::kRestorable)) {
    out += std::string("  Restorable=") + ConditionStatusName(restorable->status) + " " +
           restorable->reason + ": " + restorable->message + "\n";
  }
  return out;
}

core::ErrorCode StandbyVerifyOutcome::ExitCode() const {
  if (gate.reason == GateReason::kNoBackups) {
    return core::ErrorCode::kNotFound;
  }
  if (!error.ok()) {
    return error.code();
  }
  const Condition* restorable = FindCondition(conditions, ConditionType::kRestorable);
  if (restorable != nullptr && restorable->status == ConditionStatus::kTrue) {
    return core::ErrorCode::kOk;
  }
  return core::ErrorCode::kVerifyFailed;
}

}  // namespace hasteward::dr
