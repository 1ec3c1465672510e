// LeaseElection (the kubernetes platform's LeaderElection) against FakeKubeApi with short real
// durations: one of two candidates leads; a leader cut off from the API stops leading by its own
// clock at the renew deadline, before the lease lets the other candidate in; Stop releases.
#include "platform/kubernetes/lease_election.h"

#include <thread>

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "support/fake_kube_api.h"
#include "support/serve_process.h"

namespace hasteward::platform::kubernetes {
namespace {

using hasteward::testing::FakeKubeApi;
using namespace std::chrono_literals;

class LeaseElectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = FakeKubeApi::Start();
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    api_ = std::move(started).value();
  }

  // A candidate with its own bearer token (so the test can cut it off alone).
  std::unique_ptr<LeaseElection> Candidate(const std::string& identity) {
    const std::string token = "token-" + identity;
    api_->AddServiceAccountToken(token, "hasteward", "hasteward");
    auto config = LoadKubeconfig(*api_->WriteKubeconfig(token));
    EXPECT_TRUE(config.ok());
    LeaseSettings settings{"hasteward", "hasteward-leader", identity, 1200ms, 800ms, 100ms};
    return std::make_unique<LeaseElection>(std::make_shared<const KubeClient>(*config), settings,
                                           core::SystemClock::Get());
  }

  std::unique_ptr<FakeKubeApi> api_;
};

TEST_F(LeaseElectionTest, OneCandidateLeadsAndReleasesOnStop) {
  auto first = Candidate("a");
  first->Start();
  ASSERT_TRUE(core::PollUntil([&] { return first->Leading(); }, 5s));
  auto second = Candidate("b");
  second->Start();
  std::this_thread::sleep_for(2500ms);  // two lease durations of renewals
  EXPECT_TRUE(first->Leading());
  EXPECT_FALSE(second->Leading());
  ASSERT_TRUE(first->Stop().ok());
  EXPECT_FALSE(first->Leading());
  EXPECT_FALSE(first->Lost()) << "a release is not a loss";
  // The released lease (empty holder) is taken at the next retry, not after a lease duration.
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(core::PollUntil([&] { return second->Leading(); }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1200ms);
}

TEST_F(LeaseElectionTest, ALeaderCutOffStopsLeadingBeforeTheOtherCanTakeOver) {
  auto first = Candidate("a");
  first->Start();
  ASSERT_TRUE(core::PollUntil([&] { return first->Leading(); }, 5s));
  auto second = Candidate("b");
  second->Start();
  api_->SetTokenPartitionedForTest("token-a", true);
  bool first_stopped_before = false;
  ASSERT_TRUE(core::PollUntil(
      [&] {
        if (!second->Leading()) {
          return false;
        }
        first_stopped_before = !first->Leading();
        return true;
      },
      10s));
  EXPECT_TRUE(first_stopped_before) << "never two leaders";
  EXPECT_TRUE(core::PollUntil([&] { return first->Lost(); }, 5s));
  api_->SetTokenPartitionedForTest("token-a", false);
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(first->Leading()) << "a lost leadership is never regained";
  EXPECT_TRUE(second->Leading());
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
