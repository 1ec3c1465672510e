#include "dr/verification_record.h"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

namespace hasteward::dr {

namespace {

constexpr std::array<std::pair<VerificationResult, const char*>, 3> kResultNames = {{
    {VerificationResult::kPassed, "Passed"},
    {VerificationResult::kFailed, "Failed"},
    {VerificationResult::kError, "Error"},
}};

}  // namespace

const char* VerificationResultName(VerificationResult result) {
  for (const auto& [value, name] : kResultNames) {
    if (value == result) {
      return name;
    }
  }
  return "Error";
}

std::optional<VerificationResult> ParseVerificationResult(std::string_view name) {
  for (const auto& [value, text] : kResultNames) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

nlohmann::json VerificationRecordJson(const VerificationRecord& record) {
  return {{"snapshotId", record.snapshot_id},
          {"backupEnd", record.backup_end},
          {"result", VerificationResultName(record.result)},
          {"reason", record.reason},
          {"verifiedAt", record.verified_at},
          {"durationSeconds", record.duration_seconds}};
}

core::Result<VerificationRecord> ParseVerificationRecord(const nlohmann::json& json) {
  if (!json.is_object()) {
    return core::Corruption("the verification record is not a JSON object");
  }
  VerificationRecord record;
  try {
    record.snapshot_id = json.at("snapshotId").get<std::string>();
    record.backup_end = json.value("backupEnd", "");
    auto result = ParseVerificationResult(json.at("result").get<std::string>());
    if (!result) {
      return core::Corruption("the verification record has an unknown result '" +
                              json.at("result").get<std::string>() + "'");
    }
    record.result = *result;
    record.reason = json.value("reason", "");
    record.verified_at = json.value("verifiedAt", int64_t{0});
    record.duration_seconds = json.value("durationSeconds", 0.0);
  } catch (const nlohmann::json::exception& error) {
    return core::Corruption(std::string("the verification record is malformed: ") + error.what());
  }
  return record;
}

}  // namespace hasteward::dr
