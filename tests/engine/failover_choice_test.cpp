// Which replica a failover promotes, and when it refuses: promoting anything but the most
// advanced replica loses the transactions only the others hold.
#include "engine/mariadb/failover_choice.h"

#include <gtest/gtest.h>

namespace hasteward::engine::mariadb {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace failover_choice_test {
namespace {

ReplicaPosition At(const std::string& name, const std::string& position) {
  return {name, true, position, ""};
}

ReplicaPosition Unreadable(const std::string& name) {
  return {name, false, "", "connection refused"};
}

TEST(FailoverChoiceTest, ChoosesTheMostAdvancedReplica) {
  auto choice = ChooseFailoverCandidate({At("db-1", "0-1-40"), At("db-2", "0-1-42")}, "", false);
  ASSERT_TRUE(choice.ok()) << choice.status().ToString();
  EXPECT_EQ(choice->index, 1U);
  EXPECT_NE(choice->reason.find("0-1-42"), std::string::npos) << choice->reason;
}

TEST(FailoverChoiceTest, EqualReplicasChooseTheFirst) {
  auto choice = ChooseFailoverCandidate({At("db-1", "0-1-42"), At("db-2", "0-1-42")}, "", false);
  ASSERT_TRUE(choice.ok()) << choice.status().ToString();
  EXPECT_EQ(choice->index, 0U);
}

TEST(FailoverChoiceTest, RefusesARequestedReplicaWithAnotherAheadOfIt) {
  auto choice =
      ChooseFailoverCandidate({At("db-1", "0-1-40"), At("db-2", "0-1-42")}, "db-1", false);
  ASSERT_FALSE(choice.ok());
  EXPECT_EQ(choice.status().code(), core::ErrorCode::kSafetyStop);
  EXPECT_NE(choice.status().message().find("'db-2' is ahead of 'db-1'"), std::string::npos)
      << choice.status().message();
}

TEST(FailoverChoiceTest, RefusesWhenAPositionCannotBeRead) {
  auto choice = ChooseFailoverCandidate({At("db-1", "0-1-42"), Unreadable("db-2")}, "", false);
  ASSERT_FALSE(choice.ok());
  EXPECT_EQ(choice.status().code(), core::ErrorCode::kSafetyStop);
  EXPECT_NE(choice.status().message().find("'db-2' cannot be read"), std::string::npos);
}

TEST(FailoverChoiceTest, ForceOverridesAndListsWhatItOverrode) {
  auto choice = ChooseFailoverCandidate({At("db-1", "0-1-42"), Unreadable("db-2")}, "", true);
  ASSERT_TRUE(choice.ok()) << choice.status().ToString();
  EXPECT_EQ(choice->index, 0U);
  ASSERT_EQ(choice->overridden.size(), 1U);
  EXPECT_NE(choice->reason.find("forced"), std::string::npos);
}

TEST(FailoverChoiceTest, DivergedReplicasAreRefusedWithoutForce) {
  std::vector<ReplicaPosition> diverged = {At("db-1", "0-1-43,1-3-1"), At("db-2", "0-1-46")};
  auto refused = ChooseFailoverCandidate(diverged, "", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), core::ErrorCode::kSafetyStop);
  auto forced = ChooseFailoverCandidate(diverged, "", true);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_EQ(forced->index, 1U);  // the most transactions
}

TEST(FailoverChoiceTest, UnknownOrUnreadableRequestedReplicaIsNamed) {
  auto unknown = ChooseFailoverCandidate({At("db-1", "0-1-42")}, "db-9", true);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), core::ErrorCode::kNotFound);
  auto down = ChooseFailoverCandidate({Unreadable("db-1")}, "db-1", true);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), core::ErrorCode::kUnreachable);
}

TEST(FailoverChoiceTest, NoReadableReplicaIsUnreachableEvenForced) {
  auto choice = ChooseFailoverCandidate({Unreadable("db-1"), Unreadable("db-2")}, "", true);
  ASSERT_FALSE(choice.ok());
  EXPECT_EQ(choice.status().code(), core::ErrorCode::kUnreachable);
}

}  // namespace
}  // namespace failover_choice_test
}  // namespace hasteward::engine::mariadb
