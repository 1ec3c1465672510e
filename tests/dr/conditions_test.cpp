// Conditions from a discovery, from a failed open, and their transition times.
#include "dr/conditions.h"

#include <gtest/gtest.h>

namespace hasteward::dr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace conditions_test {
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

VerificationRecord Record(const std::string& id, VerificationResult result,
                          const std::string& reason) {
  VerificationRecord record;
  record.snapshot_id = id;
  record.result = result;
  record.reason = reason;
  record.verified_at = 2000;
  return record;
}

TEST(ConditionsTest, RestorableOnlyWhenTheNewestBackupPassedTheStandbysOwnVerification) {
  Discovery discovery;
  discovery.backups = 2;
  discovery.newest_backup = Backup("bbbbbbbbbbbb");
  Freshness freshness;
  freshness.state = FreshnessState::kSourceIdle;
  auto conditions = EvaluateConditions(discovery, freshness,
                                       Record("aaaaaaaaaaaa", VerificationResult::kPassed, "ok"));
  EXPECT_EQ(Get(conditions, ConditionType::kRestorable).status, ConditionStatus::kFalse);
  EXPECT_EQ(Get(conditions, ConditionType::kRestorable).reason, "NotYetVerified");
  EXPECT_NE(Get(conditions, ConditionType::kRestorable).message.find("aaaaaaaa"),
            std::string::npos);
  conditions = EvaluateConditions(discovery, freshness,
                                  Record("bbbbbbbbbbbb", VerificationResult::kPassed, "ok"));
  EXPECT_EQ(Get(conditions, ConditionType::kRestorable).status, ConditionStatus::kTrue);
  EXPECT_EQ(Get(conditions, ConditionType::kRestorable).reason, "Verified");
  EXPECT_EQ(Get(conditions, ConditionType::kSourceConfigKnown).status, ConditionStatus::kTrue);
  EXPECT_EQ(Get(conditions, ConditionType::kBucketReadable).status, ConditionStatus::kTrue);
  EXPECT_EQ(Get(conditions, ConditionType::kFresh).status, ConditionStatus::kTrue);
  EXPECT_EQ(Get(conditions, ConditionType::kStale).status, ConditionStatus::kFalse);
  EXPECT_EQ(Get(conditions, ConditionType::kStale).reason, "SourceIdle");
}

// A verification the source wrote into its repository proves a restore at the source site only.
TEST(ConditionsTest, ASourceWrittenVerificationDoesNotMakeTheStandbyRestorable) {
  Discovery discovery;
  discovery.backups = 1;
  discovery.newest_backup = Backup("bbbbbbbbbbbb");
  discovery.newest_verified = discovery.newest_backup;
  auto conditions = EvaluateConditions(discovery, Freshness{}, std::nullopt);
  EXPECT_EQ(Get(conditions, ConditionType::kRestorable).status, ConditionStatus::kFalse);
  EXPECT_EQ(Get(conditions, ConditionType::kRestorable).reason, "NotYetVerified");
  EXPECT_NE(Get(conditions, ConditionType::kRestorable).message.find("the source verified it"),
            std::string::npos);
}

TEST(ConditionsTest, AFailedOrErroredVerificationOfTheNewestNamesTheFailure) {
  Discovery discovery;
  discovery.backups = 1;
  discovery.newest_backup = Backup("bbbbbbbbbbbb");
  auto failed =
      EvaluateConditions(discovery, Freshness{},
                         Record("bbbbbbbbbbbb", VerificationResult::kFailed, "dump is incomplete"));
  EXPECT_EQ(Get(failed, ConditionType::kRestorable).status, ConditionStatus::kFalse);
  EXPECT_EQ(Get(failed, ConditionType::kRestorable).reason, "VerificationFailed");
  EXPECT_NE(Get(failed, ConditionType::kRestorable).message.find("dump is incomplete"),
            std::string::npos);
  auto errored = EvaluateConditions(
      discovery, Freshness{},
      Record("bbbbbbbbbbbb", VerificationResult::kError, "scratch server did not start"));
  EXPECT_EQ(Get(errored, ConditionType::kRestorable).reason, "VerificationError");
  auto none = EvaluateConditions(Discovery{}, Freshness{},
                                 Record("bbbbbbbbbbbb", VerificationResult::kPassed, "ok"));
  EXPECT_EQ(Get(none, ConditionType::kRestorable).reason, "NoBackups");
}

TEST(ConditionsTest, NoBackupMeansSourceUnknownAndFreshnessUnknown) {
  auto conditions = EvaluateConditions(Discovery{}, Freshness{}, std::nullopt);
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
}  // namespace conditions_test
}  // namespace hasteward::dr
