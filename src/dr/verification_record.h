// dr/verification_record: what the standby remembers of its own (DR-side) verification of a
// source backup — which snapshot, its recorded end, the result, why, and when. It lives in the
// standby's state file (standby_state.h), never in the source's repository: the standby proves on
// its own machine, with its own credentials and binaries, that the backup an activation would
// restore does restore (issue #15; seed 003: a verify restore is torn down once proven and records
// the verified snapshot).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"

namespace hasteward::dr {

enum class VerificationResult {
  kPassed,  // restored into the scratch instance and every check passed
  kFailed,  // the backup did not restore or a check failed: the backup is the problem
  kError,   // the verification itself could not run (scratch server, timeout): retried
};

const char* VerificationResultName(VerificationResult result);  // "Passed", "Failed", "Error"
std::optional<VerificationResult> ParseVerificationResult(std::string_view name);

struct VerificationRecord {
  std::string snapshot_id;  // full hex ID of the verified type=backup snapshot
  std::string backup_end;   // its recorded end (RFC 3339): what "newer" is measured by
  VerificationResult result = VerificationResult::kError;
  std::string reason;           // one line: the first failure, or what was checked
  int64_t verified_at = 0;      // unix seconds the verification ended
  double duration_seconds = 0;  // restore and checks, scratch instance up and down included

  bool passed() const { return result == VerificationResult::kPassed; }
};

// {"snapshotId","backupEnd","result","reason","verifiedAt","durationSeconds"}
nlohmann::json VerificationRecordJson(const VerificationRecord& record);
// kCorruption naming the field when `json` is not a record.
core::Result<VerificationRecord> ParseVerificationRecord(const nlohmann::json& json);

}  // namespace hasteward::dr
