// LeaseElection (the kubernetes platform's LeaderElection) against a real kube-apiserver and etcd
// (issue 50) with short real durations, both candidates as deploy/'s operator ServiceAccount with
// deploy/'s RBAC (two replicas of one Deployment): one of two candidates leads; a leader cut off
// from the API stops leading by its own clock at the renew deadline, before the lease lets the
// other candidate in; Stop releases. The cut is a network partition: the leader reaches the server
// through a proxy that stops passing bytes (LoopbackRelay), so its requests go unanswered,
// neither refused nor reset.
#include "platform/kubernetes/lease_election.h"

#include <thread>

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "support/loopback_relay.h"
#include "support/real_kube_admin_test.h"

namespace hasteward::platform::kubernetes {
namespace {

using namespace std::chrono_literals;

class LeaseElectionTest : public testing::RealKubeAdminTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartApi());
    ASSERT_NO_FATAL_FAILURE(ApplyDeploy({}));
    auto proxy = testing::LoopbackRelay::Start(client_->config().port);
    ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
    proxy_ = std::move(proxy).value();
  }

  // A candidate as the operator's ServiceAccount; `behind_proxy`: its connections go through the
  // proxy the test can cut.
  std::unique_ptr<LeaseElection> Candidate(const std::string& identity, bool behind_proxy) {
    KubeConfig config = OperatorConfig("hasteward");
    if (behind_proxy) {
      config.port = proxy_->port();
    }
    LeaseSettings settings{"hasteward", "hasteward-leader", identity, 1200ms, 800ms, 100ms};
    return std::make_unique<LeaseElection>(std::make_shared<const KubeClient>(config), settings,
                                           core::SystemClock::Get());
  }

  std::unique_ptr<testing::LoopbackRelay> proxy_;
};

TEST_F(LeaseElectionTest, OneCandidateLeadsAndReleasesOnStop) {
  auto first = Candidate("a", false);
  first->Start();
  ASSERT_TRUE(core::PollUntil([&] { return first->Leading(); }, 5s));
  auto second = Candidate("b", false);
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
  auto first = Candidate("a", true);
  first->Start();
  ASSERT_TRUE(core::PollUntil([&] { return first->Leading(); }, 5s));
  auto second = Candidate("b", false);
  second->Start();
  proxy_->SetPartitioned(true);
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
  EXPECT_TRUE(core::PollUntil([&] { return first->Lost(); }, 5s))
      << "a leader whose renewal goes unanswered must know it lost";
  proxy_->SetPartitioned(false);
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(first->Leading()) << "a lost leadership is never regained";
  EXPECT_TRUE(second->Leading());
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
