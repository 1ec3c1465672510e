// Conditions from a discovery, from a failed open, and their transition times.
#include "dr/conditions.h"

#include <gtest/gtest.h>

namespace hasteward::dr {
namespace {

DiscoveredBackup Backup(const std::string& id) {
  DiscoveredBackup backup;
  backup.id = id;
  backup.end = repo::GoTime{1000, 0, 0};
  return backup;
}

const Condition& Get(const std::vector<Condition>& conditions, ConditionType type) {
  const Condition* condition = FindCondition(conditions, type);
  EXPECT_NE(condition, nullptr) << ConditionTypeName(type);
  static const Condition kMissing;
  return condition != nullptr ? *condition : kMissing;
}

TEST(ConditionsTest, RestorableOnlyWhenTheNewestBackupIsVerified) {
  Discovery discovery;
  discovery.backups = 2;
  discovery.newest_backup = Backup("bbbbbbbbbbbb");
  discovery.newest_verified = Backup("aaaaaaaaaaaa");
  Freshness freshness;
  freshness.state = FreshnessState::kSourceIdle;
  auto conditions = EvaluateConditions(discovery, freshness);
  EXPECT_EQ(Get(conditions, ConditionType::kRestorable).status, ConditionStatus::kFalse);
  EXPECT_EQ(Get(conditions, ConditionType::kRestorable).reason, "NewestBackupUnverified");
  EXPECT_NE(Get(conditions, ConditionType::kRestorable).message.find("aaaaaaaa"),
            std::string::npos);
  discovery.newest_verified = discovery.newest_backup;
  conditions = EvaluateConditions(discovery, freshness);
  EXPECT_EQ(Get(conditions, ConditionType::kRestorable).status, ConditionStatus::kTrue);
  EXPECT_EQ(Get(conditions, ConditionType::kSourceConfigKnown).status, ConditionStatus::kTrue);
  EXPECT_EQ(Get(conditions, ConditionType::kBucketReadable).status, ConditionStatus::kTrue);
  EXPECT_EQ(Get(conditions, ConditionType::kFresh).status, ConditionStatus::kTrue);
  EXPECT_EQ(Get(conditions, ConditionType::kStale).status, ConditionStatus::kFalse);
  EXPECT_EQ(Get(conditions, ConditionType::kStale).reason, "SourceIdle");
}

TEST(ConditionsTest, NoBackupMeansSourceUnknownAndFreshnessUnknown) {
  auto conditions = EvaluateConditions(Discovery{}, Freshness{});
  EXPECT_EQ(Get(conditions, ConditionType::kSourceConfigKnown).status, ConditionStatus::kFalse);
  EXPECT_EQ(Get(conditions, ConditionType::kSourceConfigKnown).reason, "NoBackups");
  EXPECT_EQ(Get(conditions, ConditionType::kStale).status, ConditionStatus::kUnknown);
}

TEST(ConditionsTest, AFailedOpenNamesItsReason) {
  auto conditions = UnreadableConditions(
      core::Status(core::ErrorCode::kWrongPassword, "wrong password or no key found"));
  EXPECT_EQ(Get(conditions, ConditionType::kBucketReadable).status, ConditionStatus::kFalse);
  EXPECT_EQ(Get(conditions, ConditionType::kBucketReadable).reason, "WrongPassword");
  EXPECT_EQ(Get(conditions, ConditionType::kRestorable).status, ConditionStatus::kUnknown);
  EXPECT_STREQ(OpenFailureReason(core::StorageError("connection refused")), "Unreachable");
  EXPECT_STREQ(OpenFailureReason(core::Status(core::ErrorCode::kRepoNotFound, "no config")),
               "RepositoryNotFound");
}

TEST(ConditionsTest, TransitionTimesMoveOnlyWhenTheStatusChanges) {
  std::vector<Condition> previous = {
      {ConditionType::kBucketReadable, ConditionStatus::kTrue, "Opened", "", 100},
      {ConditionType::kStale, ConditionStatus::kFalse, "SourceIdle", "", 100}};
  std::vector<Condition> current = {
      {ConditionType::kBucketReadable, ConditionStatus::kTrue, "Opened", "", 0},
      {ConditionType::kStale, ConditionStatus::kTrue, "ArchiveBehind", "", 0},
      {ConditionType::kRestorable, ConditionStatus::kFalse, "NoBackups", "", 0}};
  auto merged = MergeTransitions(previous, current, 500);
  EXPECT_EQ(Get(merged, ConditionType::kBucketReadable).last_transition, 100);
  EXPECT_EQ(Get(merged, ConditionType::kStale).last_transition, 500);
  EXPECT_EQ(Get(merged, ConditionType::kRestorable).last_transition, 500);
}

TEST(ConditionsTest, NamesRoundTrip) {
  for (auto type : {ConditionType::kBucketReadable, ConditionType::kSourceConfigKnown,
                    ConditionType::kRestorable, ConditionType::kFresh, ConditionType::kStale}) {
    EXPECT_EQ(ParseConditionType(ConditionTypeName(type)), type);
  }
  EXPECT_EQ(ParseConditionStatus("Unknown"), ConditionStatus::kUnknown);
  EXPECT_FALSE(ParseConditionType("Ready").has_value());
}

}  // namespace
}  // namespace hasteward::dr
