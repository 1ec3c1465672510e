#include "operator/runtime/scheduler.h"

#include <condition_variable>

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "core/temp_dir.h"

namespace hasteward::op {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace scheduler_test {
namespace {

using namespace std::chrono_literals;

// Records requests; each job blocks until released (or aborted) so tests control overlap.
class FakeJobRunner : public JobRunner {
 public:
  JobResult Run(const JobRequest& req, const std::atomic<bool>& abort) override {
    std::unique_lock<std::mutex> l(mu_);
    started_.push_back(std::string(JobKindName(req.kind)) + ":" + req.cluster.Key());
    cv_.notify_all();
    // The scheduler flips `abort` without notifying our condition variable: re-check often.
    while (!cv_.wait_for(l, 10ms, [&] { return released_ > 0 || abort; })) {
    }
    JobResult r;
    if (abort && released_ == 0) {
      r.outcome = JobOutcome::kAborted;
      return r;
    }
    --released_;
    r.ok = true;
    r.outcome = JobOutcome::kOk;
    r.size_bytes = 100;
    return r;
  }
  void Release(int n) {
    std::lock_guard<std::mutex> l(mu_);
    released_ += n;
    cv_.notify_all();
  }
  // Waits until `n` jobs have started (bounded).
  bool WaitStarted(size_t n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, 5s, [&] { return started_.size() >= n; });
  }
  std::vector<std::string> started() {
    std::lock_guard<std::mutex> l(mu_);
    return started_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> started_;
  int released_ = 0;
};

ManagedCluster Cluster(const std::string& name, const std::string& backup,
                       const std::string& verify = "") {
  ManagedCluster c;
  c.ns = "test";
  c.name = name;
  c.backup_schedule = backup;
  c.verify_schedule = verify;
  c.mode = "triage";
  return c;
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<core::TempDir>(std::move(core::TempDir::Create("hs-sched-").value()));
    store_ = std::move(StateStore::Open(dir_->path() + "/state.json").value());
    ASSERT_TRUE(
        store_->Update([&](ServeState& s) { s.first_start = UnixSeconds(clock_.Now()); }).ok());
  }
  // Waits (bounded) until no job runs.
  void WaitIdle(Scheduler& s) {
    core::PollUntil([&] { return s.running() == 0; }, 5s);
    ASSERT_EQ(s.running(), 0);
  }

  core::ManualClock clock_{std::chrono::system_clock::time_point(
      std::chrono::seconds(1767225600))};  // 2026-01-01 00:00 UTC
  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<StateStore> store_;
  FakeJobRunner runner_;
};

TEST_F(SchedulerTest, RunsAJobWhenItsMinuteComesAndOnlyOncePerSlot) {
  Scheduler s({Cluster("a", "*/5 * * * *")}, {}, *store_, runner_, clock_);
  EXPECT_EQ(s.Tick(), 0) << "nothing is due at start";
  clock_.Advance(5min);
  EXPECT_EQ(s.Tick(), 1);
  runner_.Release(1);
  WaitIdle(s);
  EXPECT_EQ(s.Tick(), 0) << "the slot already ran";
  clock_.Advance(4min);
  EXPECT_EQ(s.Tick(), 0);
  clock_.Advance(1min);
  EXPECT_EQ(s.Tick(), 1);
  runner_.Release(1);
  WaitIdle(s);
  auto rec = store_->Snapshot().jobs.at("test/a/backup");
  EXPECT_EQ(rec.runs, 2);
  EXPECT_TRUE(rec.ok);
  EXPECT_EQ(rec.size_bytes, 100u);
}

TEST_F(SchedulerTest, AtMostOneJobPerClusterAtATime) {
  Scheduler s({Cluster("a", "* * * * *", "* * * * *"), Cluster("b", "* * * * *")}, {}, *store_,
              runner_, clock_);
  clock_.Advance(1min);
  EXPECT_EQ(s.Tick(), 2) << "one per cluster: backup of a and of b";
  ASSERT_TRUE(runner_.WaitStarted(2));
  EXPECT_EQ(s.Tick(), 0) << "a's verify waits for a's backup";
  runner_.Release(2);
  WaitIdle(s);
  EXPECT_EQ(s.Tick(), 1) << "now a's verify";
  ASSERT_TRUE(runner_.WaitStarted(3));
  EXPECT_EQ(runner_.started().back(), "verify:test/a");
  runner_.Release(1);
  WaitIdle(s);
}

TEST_F(SchedulerTest, ShutdownAbortsAJobThatOutlivesTheGrace) {
  Scheduler s({Cluster("a", "* * * * *")}, {}, *store_, runner_, clock_);
  clock_.Advance(1min);
  ASSERT_EQ(s.Tick(), 1);
  ASSERT_TRUE(runner_.WaitStarted(1));
  s.Shutdown(50ms);
  EXPECT_EQ(s.running(), 0);
  auto snap = store_->Snapshot();
  EXPECT_EQ(snap.jobs.at("test/a/backup").outcome, "aborted");
  EXPECT_EQ(snap.job_errors.at("backup"), 1);
  clock_.Advance(1min);
  EXPECT_EQ(s.Tick(), 0) << "no new job after shutdown";
}

// A replica that lost its lease aborts its jobs and exits: AbortJobs returns once the job
// processes ended, while what follows a job (its observer, recording the job's Event through an
// API server that may no longer answer) still runs.
TEST_F(SchedulerTest, AbortJobsReturnsOnceTheJobsEndedWithoutWaitingForTheirObserver) {
  Scheduler s({Cluster("a", "* * * * *")}, {}, *store_, runner_, clock_);
  std::mutex mu;
  std::condition_variable cv;
  bool observer_entered = false;
  bool observer_released = false;
  s.SetJobObserver([&](const JobRequest&, const JobResult&) {
    std::unique_lock<std::mutex> l(mu);
    observer_entered = true;
    cv.notify_all();
    cv.wait(l, [&] { return observer_released; });
  });
  clock_.Advance(1min);
  ASSERT_EQ(s.Tick(), 1);
  ASSERT_TRUE(runner_.WaitStarted(1));

  EXPECT_TRUE(s.AbortJobs(5s)) << "the aborted job's process ended";
  {
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, 5s, [&] { return observer_entered; }));
  }
  EXPECT_EQ(s.running(), 1) << "its observer still runs";
  clock_.Advance(1min);
  EXPECT_EQ(s.Tick(), 0) << "no new job after the abort";
  {
    std::lock_guard<std::mutex> l(mu);
    observer_released = true;
  }
  cv.notify_all();
  WaitIdle(s);
}

TEST_F(SchedulerTest, AClusterThatOptsInLaterStartsItsScheduleThenNotAtTheOperatorsStart) {
  Scheduler s({}, {}, *store_, runner_, clock_);
  clock_.Advance(30min);  // the operator ran for half an hour without the cluster
  s.SetClusters({Cluster("late", "*/10 * * * *")}, {{"test/late", "cnpg"}});
  EXPECT_EQ(s.Tick(), 0) << "the slots before it opted in are not missed slots";
  clock_.Advance(10min);
  EXPECT_EQ(s.Tick(), 1);
  ASSERT_TRUE(runner_.WaitStarted(1));
  EXPECT_EQ(runner_.started().back(), "backup:test/late");
  runner_.Release(1);
  WaitIdle(s);
  EXPECT_EQ(s.engines().at("test/late"), "cnpg");
  ASSERT_EQ(s.clusters().size(), 1U);
}

TEST_F(SchedulerTest, AClusterThatLeavesStartsNoNewJobAndItsRunningJobFinishes) {
  Scheduler s({Cluster("a", "* * * * *"), Cluster("b", "* * * * *")}, {}, *store_, runner_, clock_);
  clock_.Advance(1min);
  ASSERT_EQ(s.Tick(), 2);
  ASSERT_TRUE(runner_.WaitStarted(2));
  s.SetClusters({Cluster("b", "* * * * *")}, {});
  runner_.Release(2);
  WaitIdle(s);
  EXPECT_EQ(store_->Snapshot().jobs.at("test/a/backup").runs, 1) << "a's job was recorded";
  clock_.Advance(1min);
  EXPECT_EQ(s.Tick(), 1) << "only b";
  ASSERT_TRUE(runner_.WaitStarted(3));
  EXPECT_EQ(runner_.started().back(), "backup:test/b");
  runner_.Release(1);
  WaitIdle(s);
}

TEST_F(SchedulerTest, RestartResumesFromTheStateFile) {
  {
    Scheduler s({Cluster("a", "*/10 * * * *")}, {}, *store_, runner_, clock_);
    clock_.Advance(10min);
    ASSERT_EQ(s.Tick(), 1);
    runner_.Release(1);
    WaitIdle(s);
  }
  auto opened = StateStore::Open(store_->path());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto reopened = std::move(opened).value();
  Scheduler again({Cluster("a", "*/10 * * * *")}, {}, *reopened, runner_, clock_);
  EXPECT_EQ(again.Tick(), 0) << "the slot that ran before the restart does not run again";
  clock_.Advance(25min);  // down across two slots: one catch-up run, not two
  EXPECT_EQ(again.Tick(), 1);
  runner_.Release(1);
  WaitIdle(again);
  EXPECT_EQ(again.Tick(), 0);
  EXPECT_EQ(reopened->Snapshot().jobs.at("test/a/backup").runs, 2);
}

}  // namespace
}  // namespace scheduler_test
}  // namespace hasteward::op
