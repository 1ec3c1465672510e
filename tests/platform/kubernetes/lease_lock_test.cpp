#include "platform/kubernetes/lease_lock.h"

#include <gtest/gtest.h>

#include "support/real_kube_admin_test.h"

namespace hasteward::platform::kubernetes {
namespace {

// Against a real kube-apiserver: the Lease's schema, its resourceVersion conflicts (409) and its
// MicroTime fields are the server's, not our reading of them.
class LeaseLockTest : public testing::RealKubeAdminTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartApi({"hasteward"})); }
  LeaseSettings Settings(const std::string& identity) {
    return {"hasteward",
            "hasteward-operator",
            identity,
            std::chrono::seconds(15),
            std::chrono::seconds(10),
            std::chrono::seconds(2)};
  }
  core::ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::hours(500000))};
};

TEST_F(LeaseLockTest, OneOfTwoCandidatesLeadsUntilTheLeaseExpires) {
  LeaseLock first(*client_, Settings("a"), clock_);
  LeaseLock second(*client_, Settings("b"), clock_);
  EXPECT_TRUE(*first.TryAcquireOrRenew());
  EXPECT_FALSE(*second.TryAcquireOrRenew());
  EXPECT_EQ(second.observed_holder(), "a");
  clock_.Advance(std::chrono::seconds(14));
  EXPECT_FALSE(*second.TryAcquireOrRenew()) << "14 s after observing: still a's lease";
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_TRUE(*second.TryAcquireOrRenew()) << "a stopped renewing for 16 s > 15 s";
  EXPECT_FALSE(*first.TryAcquireOrRenew());
  EXPECT_FALSE(first.IsLeader());
  auto lease = client_->Get(resources::kLeases, "hasteward", "hasteward-operator");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "b");
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 1);
}

TEST_F(LeaseLockTest, RenewalsKeepTheLease) {
  LeaseLock first(*client_, Settings("a"), clock_);
  LeaseLock second(*client_, Settings("b"), clock_);
  ASSERT_TRUE(*first.TryAcquireOrRenew());
  for (int round = 0; round < 20; ++round) {
    clock_.Advance(std::chrono::seconds(2));
    ASSERT_TRUE(*first.TryAcquireOrRenew());
    ASSERT_FALSE(*second.TryAcquireOrRenew()) << "round " << round;
  }
}

TEST_F(LeaseLockTest, ReleaseHandsOverAtOnce) {
  LeaseLock first(*client_, Settings("a"), clock_);
  LeaseLock second(*client_, Settings("b"), clock_);
  ASSERT_TRUE(*first.TryAcquireOrRenew());
  ASSERT_FALSE(*second.TryAcquireOrRenew());
  ASSERT_TRUE(first.Release().ok());
  EXPECT_TRUE(*second.TryAcquireOrRenew()) << "an empty holder is free";
}

TEST_F(LeaseLockTest, ConcurrentCandidatesNeverBothWin) {
  // Both observed the same free lease; the stale write of the slower one is a 409.
  LeaseLock first(*client_, Settings("a"), clock_);
  ASSERT_TRUE(*first.TryAcquireOrRenew());
  ASSERT_TRUE(first.Release().ok());
  LeaseLock x(*client_, Settings("x"), clock_);
  LeaseLock y(*client_, Settings("y"), clock_);
  std::atomic<int> winners{0};
  std::thread tx([&] { winners += *x.TryAcquireOrRenew() ? 1 : 0; });
  std::thread ty([&] { winners += *y.TryAcquireOrRenew() ? 1 : 0; });
  tx.join();
  ty.join();
  EXPECT_EQ(winners, 1);
}

TEST_F(LeaseLockTest, ElectionLoopHandsOverAfterTheLeaderStops) {
  LeaseSettings fast = Settings("a");
  fast.lease_duration = std::chrono::seconds(2);
  fast.renew_deadline = std::chrono::milliseconds(1500);
  fast.retry_period = std::chrono::milliseconds(200);
  LeaseSettings fast_b = fast;
  fast_b.identity = "b";
  LeaseLock a(*client_, fast, core::SystemClock::Get());
  LeaseLock b(*client_, fast_b, core::SystemClock::Get());
  std::atomic<bool> stop_a{false}, stop_b{false}, a_leads{false}, b_leads{false};
  std::thread ta([&] {
    (void)RunLeaderElection(
        a, [&] { a_leads = true; }, [&] { a_leads = false; }, stop_a);
  });
  while (!a_leads) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::thread tb([&] {
    (void)RunLeaderElection(
        b, [&] { b_leads = true; }, [&] { b_leads = false; }, stop_b);
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_FALSE(b_leads) << "one leader at a time";
  stop_a = true;  // releases the lease
  ta.join();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!b_leads && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(b_leads);
  stop_b = true;
  tb.join();
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
