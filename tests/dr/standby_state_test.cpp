// The standby's state file: round trip, a missing file is empty, a damaged one says what to do.
#include "dr/standby_state.h"

#include <thread>

#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/temp_dir.h"

namespace hasteward::dr {
namespace {

TEST(StandbyStateTest, SavesAndLoadsConditionsWithTheirTransitionTimes) {
  auto dir = core::TempDir::Create("hs-standby-state-");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/nested/standby-s.json";
  StandbyState state;
  state.name = "s";
  state.last_discovery = 1234;
  state.conditions = {
      {ConditionType::kStale, ConditionStatus::kTrue, "ArchiveBehind", "behind", 1200}};
  ASSERT_TRUE(SaveStandbyState(path, state).ok());
  auto loaded = LoadStandbyState(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->name, "s");
  EXPECT_EQ(loaded->last_discovery, 1234);
  ASSERT_EQ(loaded->conditions.size(), 1U);
  EXPECT_EQ(loaded->conditions[0].type, ConditionType::kStale);
  EXPECT_EQ(loaded->conditions[0].status, ConditionStatus::kTrue);
  EXPECT_EQ(loaded->conditions[0].reason, "ArchiveBehind");
  EXPECT_EQ(loaded->conditions[0].last_transition, 1200);
}

TEST(StandbyStateTest, AMissingFileIsAnEmptyState) {
  auto loaded = LoadStandbyState("/nonexistent/hs-standby/state.json");
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->conditions.empty());
}

TEST(StandbyStateTest, ADamagedFileIsCorruptionWithAHint) {
  auto dir = core::TempDir::Create("hs-standby-state-");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/state.json";
  ASSERT_TRUE(core::WriteFileAtomically(path, core::AsBytes(std::string("{not json"))).ok());
  auto loaded = LoadStandbyState(path);
  EXPECT_EQ(loaded.status().code(), core::ErrorCode::kCorruption);
  EXPECT_NE(loaded.status().hint().find("remove the file"), std::string::npos);
}

TEST(StandbyStateTest, SkipsConditionTypesItDoesNotKnow) {
  auto state = DecodeStandbyState(R"({"name":"s","conditions":[{"type":"Future","status":"True"},)"
                                  R"({"type":"Fresh","status":"False","lastTransitionTime":5}]})");
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(state->conditions.size(), 1U);
  EXPECT_EQ(state->conditions[0].type, ConditionType::kFresh);
}

TEST(StandbyStateTest, KeepsTheVerificationRecord) {
  auto dir = core::TempDir::Create("hs-standby-state-");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/state.json";
  StandbyState state;
  state.verification =
      VerificationRecord{"abc", "2026-11-24T10:00:00Z", VerificationResult::kPassed, "ok", 99, 1.5};
  ASSERT_TRUE(SaveStandbyState(path, state).ok());
  auto loaded = LoadStandbyState(path);
  ASSERT_TRUE(loaded.ok() && loaded->verification.has_value());
  EXPECT_EQ(loaded->verification->snapshot_id, "abc");
  EXPECT_EQ(loaded->verification->result, VerificationResult::kPassed);
  EXPECT_EQ(loaded->verification->verified_at, 99);
}

// A discovery and a verification of the same standby update their own parts of one file at the
// same time (serve's loop and a `standby verify`): neither loses the other's writes.
TEST(StandbyStateTest, ConcurrentUpdatesLoseNothing) {
  auto dir = core::TempDir::Create("hs-standby-state-");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/nested/state.json";
  constexpr int kRounds = 40;
  std::thread discovery([&] {
    for (int i = 0; i < kRounds; ++i) {
      EXPECT_TRUE(UpdateStandbyState(path, [](StandbyState& s) { ++s.last_discovery; }).ok());
    }
  });
  std::thread verification([&] {
    for (int i = 0; i < kRounds; ++i) {
      EXPECT_TRUE(UpdateStandbyState(path, [](StandbyState& s) {
                    s.verification = s.verification.value_or(VerificationRecord{});
                    ++s.verification->verified_at;
                  }).ok());
    }
  });
  discovery.join();
  verification.join();
  auto loaded = LoadStandbyState(path);
  ASSERT_TRUE(loaded.ok() && loaded->verification.has_value());
  EXPECT_EQ(loaded->last_discovery, kRounds);
  EXPECT_EQ(loaded->verification->verified_at, kRounds);
}

}  // namespace
}  // namespace hasteward::dr
