// operator/runtime/scheduler: runs each managed cluster's jobs on their cron schedules, at most one
// job per cluster at a time (due jobs of a busy cluster wait; the job due longest goes first, ties:
// backup before verify before triage, so a frequent backup cannot starve verification).
// A job is due when its schedule's next time after its last run (or after the operator's first
// start) has passed; the run is recorded in the state store when it starts, so a restart neither
// repeats a slot nor forgets one that was missed while down (it runs once, then follows the
// schedule). Every job start and end is one log line with duration and outcome.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/cron.h"
#include "operator/config.h"
#include "operator/runtime/job_runner.h"
#include "operator/runtime/state_store.h"

namespace hasteward::op {

class Scheduler {
 public:
  // `engines`: cluster key -> engine name (for job requests and labels).
  Scheduler(std::vector<ManagedCluster> clusters, std::map<std::string, std::string> engines,
            StateStore& state, JobRunner& runner, const core::Clock& clock);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts every due job whose cluster is idle, each on its own thread; returns how many started.
  int Tick();
  // Replaces the managed clusters (the operator found clusters that opted in or out). A cluster
  // that leaves starts no new job; one of its jobs already running finishes. A cluster new to
  // this scheduler with no job on record starts its schedules from now: opting in later is not a
  // missed slot since the operator's first start.
  void SetClusters(std::vector<ManagedCluster> clusters,
                   std::map<std::string, std::string> engines);
  // Called on the job's thread after each job's result is recorded (serve: Events on the
  // cluster). Set before the first Tick.
  using JobObserver = std::function<void(const JobRequest&, const JobResult&)>;
  void SetJobObserver(JobObserver observer) { observer_ = std::move(observer); }
  // Copies of the managed clusters and their engines, for the metrics and status pages.
  std::vector<ManagedCluster> clusters() const;
  std::map<std::string, std::string> engines() const;
  // Cluster key -> unix seconds its schedules started counting (the operator's first start, or
  // the cluster's opt-in when later): a job that never ran is due from there, and the metrics
  // count the age of a backup that never succeeded from there too.
  std::map<std::string, int64_t> ScheduleStarts() const;
  // Stops starting jobs, waits up to `grace` for running jobs to finish, then aborts the rest
  // (JobRunner abort) and joins them. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);
  // Stops starting jobs and aborts the running ones at once; returns when their job processes
  // ended (JobRunner::Run returned) or after `bound`, without waiting for what follows a job (its
  // events go to the API server, which a replica that lost its lease may no longer reach).
  // Returns whether every job process ended within `bound`.
  bool AbortJobs(std::chrono::milliseconds bound);
  int running() const;
  // The next time `kind` runs for a cluster (nullopt when it has no schedule).
  std::optional<core::TimePoint> NextRun(const ManagedCluster& c, JobKind kind) const;

 private:
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::optional<JobKind> DueJob(const ManagedCluster& c, const ServeState& s, int64_t now) const;
  // When `kind` last ran for `c`, or when its schedule started (operator start or opt-in).
  int64_t LastRun(const ManagedCluster& c, JobKind kind, const ServeState& s) const;
  int64_t ScheduleStart(const ManagedCluster& c, const ServeState& s) const;  // mu_ held
  void BuildSchedules();
  void Execute(const JobRequest& request);
  void Record(const JobRequest& request, const JobResult& result);
  static void LogRepair(const JobRequest& request, const RepairReport& repair);
  void ReapFinished();

  std::vector<ManagedCluster> clusters_;
  std::map<std::string, std::string> engines_;
  std::map<std::string, std::map<JobKind, core::CronSchedule>> schedules_;
  // Clusters added by SetClusters: cluster key -> unix seconds when they joined.
  std::map<std::string, int64_t> joined_;
  StateStore& state_;
  JobRunner& runner_;
  const core::Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable idle_cv_;
  std::set<std::string> busy_;
  std::vector<Worker> workers_;
  std::atomic<bool> abort_{false};
  int in_runner_ = 0;  // jobs inside JobRunner::Run (guarded by mu_)
  JobObserver observer_;
  bool stopping_ = false;
};

int64_t UnixSeconds(core::TimePoint t);

}  // namespace hasteward::op
