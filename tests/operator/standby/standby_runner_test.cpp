#include "operator/standby/standby_runner.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace hasteward::op {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace standby_runner_test {
namespace {

using std::chrono::milliseconds;

dr::StandbySpec Spec(const std::string& name, std::chrono::seconds interval, bool suspend) {
  dr::StandbySpec spec;
  spec.name = name;
  spec.freshness.discovery_interval = interval;
  spec.freshness.suspend = suspend;
  return spec;
}

dr::StandbyReport Report(const std::string& name) {
  dr::StandbyReport report;
  report.name = name;
  report.readable = true;
  report.conditions = {
      {dr::ConditionType::kBucketReadable, dr::ConditionStatus::kTrue, "Opened", "", 0},
      {dr::ConditionType::kFresh, dr::ConditionStatus::kTrue, "SourceIdle", "", 0},
      {dr::ConditionType::kStale, dr::ConditionStatus::kFalse, "SourceIdle", "", 0}};
  report.freshness.backlog_segments = 0;
  report.freshness.evidence_age_seconds = 12;
  report.cursor.written = true;
  return report;
}

bool WaitFor(const std::function<bool()>& condition) {
  for (int i = 0; i < 100; ++i) {
    if (condition())
      return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return condition();
}

TEST(StandbyRunnerTest, DiscoversEveryIntervalAndPublishesTheReport) {
  std::atomic<int> calls{0};
  StandbyRunnerOptions options;
  options.check = [&](const dr::StandbySpec& spec) -> core::Result<dr::StandbyReport> {
    ++calls;
    return Report(spec.name);
  };
  StandbyRunner runner({Spec("shop-dr", std::chrono::seconds(1), false)}, options);
  EXPECT_EQ(runner.Progress()[0].discoveries, 0);
  runner.Start();
  runner.Start();  // idempotent: still one loop
  ASSERT_TRUE(WaitFor([&] { return calls >= 2; }));
  runner.StopAll();
  const int after_stop = calls;
  auto progress = runner.Progress();
  ASSERT_EQ(progress.size(), 1U);
  EXPECT_EQ(progress[0].name, "shop-dr");
  EXPECT_GE(progress[0].discoveries, 2);
  EXPECT_LE(progress[0].discoveries, 3);  // one a second, not back to back
  EXPECT_EQ(progress[0].abandoned, 0);
  EXPECT_GT(progress[0].last_discovery, 0);
  EXPECT_GE(progress[0].last_duration_seconds, 0);
  EXPECT_EQ(progress[0].conditions.size(), 3U);
  EXPECT_EQ(progress[0].evidence_age_seconds, 12);
  EXPECT_TRUE(progress[0].cursor_written);
  std::this_thread::sleep_for(milliseconds(1200));
  EXPECT_EQ(calls, after_stop);  // stopped means stopped
}

TEST(StandbyRunnerTest, ASuspendedStandbyNeverDiscovers) {
  std::atomic<int> calls{0};
  StandbyRunnerOptions options;
  options.check = [&](const dr::StandbySpec& spec) -> core::Result<dr::StandbyReport> {
    ++calls;
    return Report(spec.name);
  };
  StandbyRunner runner({Spec("off", std::chrono::seconds(1), true)}, options);
  runner.Start();
  std::this_thread::sleep_for(milliseconds(300));
  runner.StopAll();
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(runner.Progress()[0].suspended);
  EXPECT_EQ(runner.Progress()[0].discoveries, 0);
}

TEST(StandbyRunnerTest, ADiscoveryExceedingItsIntervalIsAbandonedAndNeverOverlapsTheNext) {
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  std::atomic<int> calls{0};
  std::atomic<bool> slow{true};
  StandbyRunnerOptions options;
  options.check = [&](const dr::StandbySpec& spec) -> core::Result<dr::StandbyReport> {
    const int now = ++running;
    max_running = std::max(max_running.load(), now);
    const bool first = ++calls == 1;
    if (first && slow)
      std::this_thread::sleep_for(milliseconds(1800));  // past the 1 s interval
    --running;
    return Report(spec.name);
  };
  StandbyRunner runner({Spec("slow", std::chrono::seconds(1), false)}, options);
  runner.Start();
  // Abandoned at 1 s: BucketReadable False at once, before the slow discovery returns.
  ASSERT_TRUE(WaitFor([&] { return runner.Progress()[0].abandoned == 1; }));
  auto abandoned = runner.Progress()[0];
  EXPECT_EQ(calls, 1);
  ASSERT_FALSE(abandoned.conditions.empty());
  EXPECT_EQ(abandoned.conditions[0].type, dr::ConditionType::kBucketReadable);
  EXPECT_EQ(abandoned.conditions[0].status, dr::ConditionStatus::kFalse);
  EXPECT_EQ(abandoned.conditions[0].reason, "DiscoveryTimedOut");
  EXPECT_FALSE(abandoned.cursor_written);
  // The next discovery starts once the abandoned one returned, and succeeds.
  ASSERT_TRUE(WaitFor([&] {
    auto p = runner.Progress()[0];
    return p.discoveries >= 2 && !p.conditions.empty() &&
           p.conditions[0].status == dr::ConditionStatus::kTrue;
  }));
  runner.StopAll();
  EXPECT_EQ(max_running, 1);
  EXPECT_EQ(runner.Progress()[0].abandoned, 1);
}

TEST(StandbyRunnerTest, AFailedDiscoveryLeavesTheConditionsUnknown) {
  StandbyRunnerOptions options;
  options.check = [](const dr::StandbySpec&) -> core::Result<dr::StandbyReport> {
    return core::Status(core::ErrorCode::kCorruption, "state file damaged");
  };
  StandbyRunner runner({Spec("broken", std::chrono::seconds(5), false)}, options);
  runner.Start();
  ASSERT_TRUE(WaitFor([&] { return runner.Progress()[0].discoveries == 1; }));
  runner.StopAll();  // interrupts the 5 s wait at once
  EXPECT_TRUE(runner.Progress()[0].conditions.empty());
  EXPECT_EQ(runner.Progress()[0].evidence_age_seconds, -1);
}

// The verify schedule drives the standby's own verification in the same loop, once per firing,
// never while the standby's discovery runs.
TEST(StandbyRunnerTest, VerifiesWhenTheScheduleFiresAndNeverDuringADiscovery) {
  core::ManualClock clock(std::chrono::system_clock::time_point(std::chrono::seconds(1800000030)));
  std::atomic<bool> discovering{false};
  std::atomic<int> overlaps{0};
  std::atomic<int> verifies{0};
  StandbyRunnerOptions options;
  options.clock = &clock;
  options.check = [&](const dr::StandbySpec& spec) -> core::Result<dr::StandbyReport> {
    discovering = true;
    std::this_thread::sleep_for(milliseconds(20));
    discovering = false;
    dr::StandbyReport report = Report(spec.name);
    if (verifies > 0) {  // as the state file would have it
      report.verification =
          dr::VerificationRecord{"abc", "", dr::VerificationResult::kPassed, "ok", 1800000090, 1};
    }
    return report;
  };
  options.verify = [&](const dr::StandbySpec& spec) -> core::Result<dr::StandbyVerifyOutcome> {
    overlaps += discovering ? 1 : 0;
    ++verifies;
    dr::StandbyVerifyOutcome outcome;
    outcome.name = spec.name;
    outcome.gate.run = true;
    outcome.record =
        dr::VerificationRecord{"abc", "", dr::VerificationResult::kPassed, "ok", 1800000090, 1};
    return outcome;
  };
  dr::StandbySpec spec = Spec("shop-dr", std::chrono::seconds(1), false);
  spec.freshness.verify_schedule = "* * * * *";  // every minute: next at 1800000060
  StandbyRunner runner({spec}, options);
  runner.Start();
  ASSERT_TRUE(WaitFor([&] { return runner.Progress()[0].discoveries >= 2; }));
  EXPECT_EQ(verifies, 0) << "the schedule has not fired yet";
  clock.Advance(std::chrono::seconds(60));
  ASSERT_TRUE(WaitFor([&] { return verifies >= 1; }));
  ASSERT_TRUE(WaitFor([&] { return runner.Progress()[0].discoveries >= 4; }));
  runner.StopAll();
  EXPECT_EQ(verifies, 1) << "once per firing, not once per discovery";
  EXPECT_EQ(overlaps, 0);
  auto progress = runner.Progress()[0];
  EXPECT_EQ(progress.verifications, 1);
  ASSERT_TRUE(progress.verification.has_value());
  EXPECT_TRUE(progress.verification->passed());
}

}  // namespace
}  // namespace standby_runner_test
}  // namespace hasteward::op
