// Two `hasteward serve` replicas on the kubernetes platform against a real kube-apiserver (deploy/
// applied as users apply it, the operator's ServiceAccount, one token per replica; replica 0
// through a relay the test can partition) elect a leader on the Lease
// hasteward/hasteward-leader with short test durations (lease 3 s, renew deadline 2 s, retry
// 0.5 s): exactly one replica runs scheduled jobs; after kill -9 of the leader the other takes
// over within the lease duration (plus the retry periods in which the expiry is noticed); a
// leader cut off from the API stops acting and exits before the other replica can take over; a
// leader frozen past its lease starts no job when it wakes.
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "support/deploy_manifests.h"
#include "support/fake_kube_operators.h"
#include "support/hasteward_env.h"
#include "support/loopback_relay.h"
#include "support/operator_api.h"
#include "support/serve_process.h"

namespace hasteward::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr double kLeaseSeconds = 3;
constexpr double kRenewDeadlineSeconds = 2;
constexpr double kRetrySeconds = 0.5;
constexpr int kSafetyStopExit = 24;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

class ServeLeaderElectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto api = OperatorApi::Start(kPlatformNamespace, {kPlatformNamespace});
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    api_ = std::make_unique<OperatorApi>(std::move(api).value());
    // Replica 0 reaches the server through a relay that a test may partition.
    auto config = platform::kubernetes::LoadKubeconfig(api_->AdminKubeconfig());
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    auto relay = LoopbackRelay::Start(config->port);
    ASSERT_TRUE(relay.ok()) << relay.status().ToString();
    relay_ = std::move(relay).value();
  }

  void TearDown() override {
    for (auto& replica : replicas_) {
      replica.Stop();
    }
  }

  // Starts replica `replica` (0 or 1): its own token, state file and pod name; a triage of a
  // cluster every scheduler minute (0.5 s), which logs "job start" each time it runs.
  void StartReplica(int replica) {
    // A token of its own (the TokenRequest API), and for replica 0 the relay as its server.
    auto token = api_->api().ServiceAccountToken(kDeployNamespace, kDeployServiceAccount);
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    auto kubeconfig = api_->api().WriteKubeconfig(*token, kPlatformNamespace);
    ASSERT_TRUE(kubeconfig.ok()) << kubeconfig.status().ToString();
    if (replica == 0) {
      auto text = core::ReadFileToString(*kubeconfig);
      ASSERT_TRUE(text.ok());
      const std::string server = api_->api().url();
      const size_t at = text->find(server);
      ASSERT_NE(at, std::string::npos);
      text->replace(at, server.size(), "https://127.0.0.1:" + std::to_string(relay_->port()));
      kubeconfig = WriteFile(hs_.Path("kubeconfig-0"), *text);
    }
    const std::string id = std::to_string(replica);
    const std::string config =
        WriteFile(hs_.Path("serve-" + id + ".yaml"),
                  "platform: kubernetes\n"
                  "stateFile: " +
                      hs_.Path("state-" + id + ".json") +
                      "\n"
                      "leaderElection: {leaseDurationSeconds: " +
                      std::to_string(kLeaseSeconds) +
                      ", renewDeadlineSeconds: " + std::to_string(kRenewDeadlineSeconds) +
                      ", retryPeriodSeconds: " + std::to_string(kRetrySeconds) +
                      "}\n"
                      "policies:\n"
                      "  - {name: watch, triageSchedule: '* * * * *'}\n"
                      "clusters:\n"
                      "  - {namespace: db, name: ghost, policy: watch}\n");
    HastewardEnv::EnvVars env = hs_.vars();
    env["KUBECONFIG"] = *kubeconfig;
    env["POD_NAME"] = "hasteward-" + id;
    env["POD_NAMESPACE"] = kDeployNamespace;
    auto started = replicas_[replica].Start(config, env, {.tick_seconds = 0.5, .grace_seconds = 5});
    ASSERT_TRUE(started.ok()) << started.ToString() << replicas_[replica].Logs();
  }

  bool Leads(size_t replica) const {
    return replicas_[replica].Logs().find("\"leadership acquired\"") != std::string::npos;
  }
  size_t JobStarts(int replica) const { return Count(replicas_[replica].Logs(), "\"job start\""); }

  // Seconds until replica `replica` logs that it acquired the lease (-1 after `limit`).
  double SecondsUntilLeads(int replica, std::chrono::seconds limit) const {
    const auto start = SteadyClock::now();
    while (!Leads(replica)) {
      if (SteadyClock::now() - start > limit) {
        return -1;
      }
      std::this_thread::sleep_for(20ms);
    }
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
  }

  HastewardEnv hs_{"hs-leader-", "leader-test"};
  std::unique_ptr<OperatorApi> api_;
  std::unique_ptr<LoopbackRelay> relay_;
  std::array<ServeProcess, 2> replicas_;
};

TEST_F(ServeLeaderElectionTest, OneReplicaActsAndTheOtherTakesOverAfterTheLeaderIsKilled) {
  StartReplica(0);
  ASSERT_GE(SecondsUntilLeads(0, 20s), 0) << replicas_[0].Logs();
  ASSERT_TRUE(core::PollUntil([&] { return JobStarts(0) >= 2; }, 20s)) << replicas_[0].Logs();
  StartReplica(1);
  // Several lease durations: the standby neither leads nor runs a job while the leader renews.
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(kLeaseSeconds * 2000)));
  EXPECT_FALSE(Leads(1)) << replicas_[1].Logs();
  EXPECT_EQ(JobStarts(1), 0U) << replicas_[1].Logs();
  EXPECT_GT(JobStarts(0), 2U) << "the leader keeps acting";

  replicas_[0].process().Signal(SIGKILL);
  const double takeover = SecondsUntilLeads(1, 30s);
  ASSERT_GE(takeover, 0) << replicas_[1].Logs();
  std::printf(
      "[figure] takeover after kill -9 of the leader: %.2f s (lease %.1f s, retry %.1f s)\n",
      takeover, kLeaseSeconds, kRetrySeconds);
  // The lease expires kLeaseSeconds after the standby saw its last renewal, which is at most
  // one retry period old at the kill; the standby notices within one more retry period.
  EXPECT_LE(takeover, kLeaseSeconds + 2 * kRetrySeconds + 0.3);
  EXPECT_GE(takeover, kLeaseSeconds - kRetrySeconds - 0.3) << "not before the lease expired";
  EXPECT_TRUE(core::PollUntil([&] { return JobStarts(1) >= 1; }, 20s)) << replicas_[1].Logs();
}

TEST_F(ServeLeaderElectionTest, ALeaderCutOffFromTheApiStopsActingBeforeTheOtherTakesOver) {
  StartReplica(0);
  ASSERT_GE(SecondsUntilLeads(0, 20s), 0) << replicas_[0].Logs();
  StartReplica(1);
  ASSERT_TRUE(core::PollUntil([&] { return JobStarts(0) >= 1; }, 20s)) << replicas_[0].Logs();
  ASSERT_FALSE(Leads(1));

  relay_->SetPartitioned(true);
  ASSERT_GE(SecondsUntilLeads(1, 30s), 0) << replicas_[1].Logs();
  // At the moment the standby took over, the cut-off leader had already given up (its renew
  // deadline, 2 s, is shorter than the lease, 3 s): the two never acted at the same time.
  const std::string leader_logs = replicas_[0].Logs();
  EXPECT_NE(leader_logs.find("\"leadership lost"), std::string::npos) << leader_logs;
  const size_t leader_jobs = JobStarts(0);
  auto exited = replicas_[0].process().WaitFor(10s);
  ASSERT_TRUE(exited.has_value()) << "the replica that lost the lease exits" << replicas_[0].Logs();
  EXPECT_EQ(exited->exit_code, kSafetyStopExit) << replicas_[0].Logs();
  EXPECT_EQ(JobStarts(0), leader_jobs) << "no job after leadership was lost";
  EXPECT_TRUE(core::PollUntil([&] { return JobStarts(1) >= 1; }, 20s)) << replicas_[1].Logs();
}

// The lease is not a fence: a leader frozen (SIGSTOP) past the lease believes it still leads when
// it wakes. By its monotonic clock its last renewal is older than the renew deadline, so it starts
// no job and exits, while the other replica (which took over meanwhile) acts.
TEST_F(ServeLeaderElectionTest, AFrozenLeaderStartsNoJobWhenItWakesUp) {
  StartReplica(0);
  ASSERT_GE(SecondsUntilLeads(0, 20s), 0) << replicas_[0].Logs();
  StartReplica(1);
  ASSERT_TRUE(core::PollUntil([&] { return JobStarts(0) >= 1; }, 20s)) << replicas_[0].Logs();
  replicas_[0].process().Signal(SIGSTOP);
  ASSERT_GE(SecondsUntilLeads(1, 30s), 0) << replicas_[1].Logs();
  ASSERT_TRUE(core::PollUntil([&] { return JobStarts(1) >= 1; }, 20s)) << replicas_[1].Logs();
  const size_t frozen_jobs = JobStarts(0);
  replicas_[0].process().Signal(SIGCONT);
  auto exited = replicas_[0].process().WaitFor(10s);
  ASSERT_TRUE(exited.has_value()) << "the woken replica gives up" << replicas_[0].Logs();
  EXPECT_EQ(exited->exit_code, kSafetyStopExit) << replicas_[0].Logs();
  EXPECT_EQ(JobStarts(0), frozen_jobs) << "no job after waking" << replicas_[0].Logs();
}

}  // namespace
}  // namespace hasteward::testing
