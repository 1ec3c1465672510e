#include <gtest/gtest.h>

#include "engine/postgres/native_source.h"

namespace hasteward::engine::postgres {
namespace {

class PickStandbySourceTest : public ::testing::Test {
 protected:
  StandbyFacts Streaming(const platform::Instance& instance, uint64_t replay_lsn) {
    StandbyFacts facts;
    facts.instance = &instance;
    facts.reachable = true;
    facts.in_recovery = true;
    facts.streaming = true;
    facts.replay_lsn = replay_lsn;
    return facts;
  }

  static platform::Instance Named(const std::string& name) {
    platform::Instance instance;
    instance.name = name;
    return instance;
  }

  platform::Instance one_ = Named("pg-1");
  platform::Instance two_ = Named("pg-2");
  static constexpr uint64_t kPrimaryLsn = uint64_t{1} << 32;
};

TEST_F(PickStandbySourceTest, TheStandbyThatReplayedMostWins) {
  std::vector<StandbyFacts> standbys = {Streaming(one_, kPrimaryLsn - 4096),
                                        Streaming(two_, kPrimaryLsn - 16)};
  const StandbyFacts* chosen = PickStandbySource(standbys, kPrimaryLsn);
  ASSERT_NE(chosen, nullptr);
  EXPECT_EQ(chosen->instance->name, "pg-2");
}

TEST_F(PickStandbySourceTest, EqualStandbysKeepInventoryOrder) {
  std::vector<StandbyFacts> standbys = {Streaming(one_, kPrimaryLsn), Streaming(two_, kPrimaryLsn)};
  ASSERT_NE(PickStandbySource(standbys, kPrimaryLsn), nullptr);
  EXPECT_EQ(PickStandbySource(standbys, kPrimaryLsn)->instance->name, "pg-1");
}

// Each way a standby can be unfit, with the reason the plan records for it.
TEST_F(PickStandbySourceTest, UnfitStandbysAreSkippedWithTheirReason) {
  StandbyFacts unreachable;
  unreachable.instance = &one_;
  unreachable.problem = "connection refused";
  StandbyFacts promoted = Streaming(two_, kPrimaryLsn);
  promoted.in_recovery = false;
  StandbyFacts archive_only = Streaming(one_, kPrimaryLsn);
  archive_only.streaming = false;
  StandbyFacts far_behind = Streaming(two_, kPrimaryLsn - kMaxStandbyLagBytes - 1);
  std::vector<StandbyFacts> standbys = {unreachable, promoted, archive_only, far_behind};
  EXPECT_EQ(PickStandbySource(standbys, kPrimaryLsn), nullptr);
  EXPECT_EQ(standbys[0].problem, "connection refused");
  EXPECT_EQ(standbys[1].problem, "not in recovery");
  EXPECT_EQ(standbys[2].problem, "not streaming from the primary");
  EXPECT_EQ(standbys[3].problem, "replay is 64 MiB behind the primary");
}

TEST_F(PickStandbySourceTest, AStandbyJustWithinTheLagBoundIsUsed) {
  std::vector<StandbyFacts> standbys = {Streaming(one_, kPrimaryLsn - kMaxStandbyLagBytes)};
  EXPECT_NE(PickStandbySource(standbys, kPrimaryLsn), nullptr);
}

}  // namespace
}  // namespace hasteward::engine::postgres
