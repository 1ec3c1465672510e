// The standby's verification record: its JSON round trip and a result it does not know.
#include "dr/verification_record.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hasteward::dr {
namespace {

TEST(VerificationRecordTest, RoundTripsThroughJsonAndRefusesAnUnknownResult) {
  VerificationRecord record;
  record.snapshot_id = "bb";
  record.result = VerificationResult::kFailed;
  record.reason = "why";
  record.backup_end = "2026-11-24T10:00:00Z";
  record.verified_at = 1800000000;
  record.duration_seconds = 3.5;
  auto parsed = ParseVerificationRecord(VerificationRecordJson(record));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->snapshot_id, "bb");
  EXPECT_EQ(parsed->result, VerificationResult::kFailed);
  EXPECT_EQ(parsed->backup_end, record.backup_end);
  EXPECT_EQ(parsed->verified_at, record.verified_at);
  EXPECT_DOUBLE_EQ(parsed->duration_seconds, 3.5);
  nlohmann::json bad = VerificationRecordJson(record);
  bad["result"] = "Maybe";
  EXPECT_EQ(ParseVerificationRecord(bad).status().code(), core::ErrorCode::kCorruption);
}

}  // namespace
}  // namespace hasteward::dr
