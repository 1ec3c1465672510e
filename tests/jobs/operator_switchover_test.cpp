// The proof of an operator's switchover (jobs/operator_switchover.h) counts only the polls that
// read every instance's writability. Here no instance can be read (the platform cannot open one),
// while the operator reports the candidate as its primary at once: nothing proves that two
// instances were never writable, and the switchover must not say it did.
#include "jobs/operator_switchover.h"

#include <gtest/gtest.h>

namespace hasteward::jobs {
namespace operator_switchover_test {

platform::Cluster TwoInstances() {
  platform::Cluster cluster;
  cluster.name = "db";
  cluster.ns = "prod";
  cluster.engine = platform::EngineKind::kMariadb;
  for (int ordinal = 0; ordinal < 2; ++ordinal) {
    platform::Instance instance;
    instance.name = "db-" + std::to_string(ordinal);
    instance.ordinal = ordinal;
    instance.port = 1;  // never dialled: the platform opens no instance
    cluster.instances.push_back(instance);
  }
  return cluster;
}

// Lists the cluster; every instance is out of reach.
class UnreadablePlatform : public platform::Platform {
 public:
  explicit UnreadablePlatform(platform::Cluster cluster) : cluster_(std::move(cluster)) {}
  std::string name() const override { return "unreadable"; }
  core::Result<std::vector<platform::Cluster>> ListClusters() override {
    return std::vector<platform::Cluster>{cluster_};
  }
  core::Result<platform::Cluster> FindCluster(const std::string& /*ns*/,
                                              const std::string& /*name*/) override {
    return cluster_;
  }
  core::Result<std::unique_ptr<platform::InstanceHandle>> OpenInstance(
      const platform::Cluster& /*c*/, const platform::Instance& i) override {
    return core::Status(core::ErrorCode::kUnreachable, "pod '" + i.name + "' cannot be reached");
  }

 private:
  platform::Cluster cluster_;
};

// An operator that makes the requested instance its settled primary as soon as it is asked.
class SettlingOperator : public platform::OperatorSwitchover {
 public:
  explicit SettlingOperator(const std::string& primary) : primary_{primary, primary} {}
  std::string Describe() const override { return "the fake operator"; }
  std::string DatabaseAccount() const override { return ""; }
  core::Result<platform::OperatorPrimary> Primary() override { return primary_; }
  core::Status RequestPrimary(const platform::Instance& candidate) override {
    primary_ = {candidate.name, candidate.name};
    return core::Status::Ok();
  }

 private:
  platform::OperatorPrimary primary_;
};

// The engine's part before the request, done at once (what it does is the engines' tests'),
// recording whether it was lifted.
class InstantHandover : public engine::OperatorHandover {
 public:
  std::vector<std::string> Describe() const override { return {"fence: at once"}; }
  core::Result<std::string> Fence() override { return std::string("fenced"); }
  core::Result<std::string> CatchUp() override { return std::string("caught up"); }
  std::string Lift() override {
    lifted = true;
    return "lifted";
  }
  bool lifted = false;
};

TEST(OperatorSwitchoverTest, PollsThatReadNoInstanceProveNothingAndThePromoteStepFails) {
  UnreadablePlatform platform(TwoInstances());
  auto target = engine::ClusterHandle::Open(platform, TwoInstances());
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  SettlingOperator via("db-0");
  engine::SwitchoverPlan plan;
  plan.old_primary = target->cluster().instances[0];
  plan.candidate = target->cluster().instances[1];
  engine::SwitchoverOptions options;
  options.timeout = std::chrono::milliseconds(100);  // a bound on the wait, not a measurement

  InstantHandover handover;

  engine::SwitchoverReport report = RunOperatorSwitchover(*target, handover, via, plan, options);

  ASSERT_TRUE(report.failed_step.has_value()) << "the switchover claimed success";
  EXPECT_EQ(*report.failed_step, engine::SwitchoverStep::kPromote) << report.status.ToString();
  EXPECT_EQ(report.status.code(), core::ErrorCode::kTimeout) << report.status.ToString();
  EXPECT_NE(report.status.message().find("read the writability of every instance"),
            std::string::npos)
      << report.status.ToString();
  for (const auto& step : report.steps) {
    EXPECT_EQ(step.detail.find("one writable instance at each of"), std::string::npos)
        << engine::SwitchoverStepName(step.step) << ": " << step.detail;
  }
  // The operator was asked: its handover may be under way, so the fence stays.
  EXPECT_FALSE(handover.lifted);
}

// An operator that refuses the request (another switchover pending): the fence raised before it
// is lifted, and the error says so.
class RefusingOperator : public SettlingOperator {
 public:
  using SettlingOperator::SettlingOperator;
  core::Status RequestPrimary(const platform::Instance& /*candidate*/) override {
    return core::Status(core::ErrorCode::kSafetyStop, "a switchover is pending");
  }
};

TEST(OperatorSwitchoverTest, ARefusedRequestLiftsTheFence) {
  UnreadablePlatform platform(TwoInstances());
  auto target = engine::ClusterHandle::Open(platform, TwoInstances());
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  RefusingOperator via("db-0");
  engine::SwitchoverPlan plan;
  plan.old_primary = target->cluster().instances[0];
  plan.candidate = target->cluster().instances[1];
  InstantHandover handover;

  engine::SwitchoverReport report = RunOperatorSwitchover(*target, handover, via, plan, {});

  ASSERT_TRUE(report.failed_step.has_value());
  // Nothing was asked of the operator: the class of a refused pre-check.
  EXPECT_EQ(*report.failed_step, engine::SwitchoverStep::kPreCheck);
  EXPECT_TRUE(handover.lifted);
  EXPECT_NE(report.status.message().find("lifted"), std::string::npos) << report.status.ToString();
  ASSERT_EQ(report.steps.size(), 3U);
  EXPECT_EQ(report.steps[1].step, engine::SwitchoverStep::kFence);
  EXPECT_EQ(report.steps[2].step, engine::SwitchoverStep::kCatchUp);
}

}  // namespace operator_switchover_test
}  // namespace hasteward::jobs
