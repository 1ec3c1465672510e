#include "operator/runtime/scheduler.h"

#include <algorithm>
#include <condition_variable>
#include <sstream>

#include "core/log.h"

namespace hasteward::op {

namespace {

constexpr JobKind kPriority[] = {JobKind::kBackup, JobKind::kVerify, JobKind::kTriage};

// What the state file and `get status` show for a finished job: a triage's verdict, else the
// outcome's name.
std::string RecordedOutcome(const JobResult& result) {
  return result.verdict.empty() ? JobOutcomeName(result.outcome) : result.verdict;
}

std::string Format(double seconds) {
  std::ostringstream o;
  o.precision(3);
  o << std::fixed << seconds;
  return o.str();
}

// The repair that followed a triage: its own record (shown by `get status`), the per-result
// counter behind hasteward_repairs_total, and a job error unless it healed or refused (a refusal
// is the safety table working, reported as such, not an operator error).
void RecordRepair(ServeState& s, const std::string& cluster_key, const RepairReport& repair,
                  int64_t started, int64_t now) {
  JobRecord& rec = s.jobs[JobKey(cluster_key, JobKind::kRepair)];
  rec.runs++;
  rec.last_run = started;
  rec.last_finish = now;
  rec.ok = repair.result == RepairResult::kHealed;
  if (rec.ok)
    rec.last_success = now;
  rec.outcome = RepairResultName(repair.result);
  rec.error = repair.error;
  rec.duration_seconds = repair.seconds;
  rec.snapshot_id = repair.escrow_snapshot;
  s.repairs[cluster_key][rec.outcome]++;
  if (repair.result == RepairResult::kFailed)
    s.job_errors[JobKindName(JobKind::kRepair)]++;
}

}  // namespace

int64_t UnixSeconds(core::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

Scheduler::Scheduler(std::vector<ManagedCluster> clusters,
                     std::map<std::string, std::string> engines, StateStore& state,
                     JobRunner& runner, const core::Clock& clock)
    : clusters_(std::move(clusters)),
      engines_(std::move(engines)),
      state_(state),
      runner_(runner),
      clock_(clock) {
  BuildSchedules();
}

void Scheduler::BuildSchedules() {
  schedules_.clear();
  for (const auto& c : clusters_) {
    auto add = [&](JobKind kind, const std::string& expr) {
      if (expr.empty())
        return;
      auto cron = core::CronSchedule::Parse(expr);  // validated by ResolveCluster
      if (cron.ok())
        schedules_[c.Key()].emplace(kind, std::move(cron).value());
    };
    add(JobKind::kBackup, c.backup_schedule);
    add(JobKind::kVerify, c.verify_schedule);
    add(JobKind::kTriage, c.triage_schedule);
  }
}

void Scheduler::SetClusters(std::vector<ManagedCluster> clusters,
                            std::map<std::string, std::string> engines) {
  const int64_t now = UnixSeconds(clock_.Now());
  std::lock_guard<std::mutex> l(mu_);
  std::set<std::string> before;
  for (const auto& c : clusters_)
    before.insert(c.Key());
  std::set<std::string> after;
  for (const auto& c : clusters) {
    after.insert(c.Key());
    if (!before.count(c.Key()) && !joined_.count(c.Key()))
      joined_[c.Key()] = now;
  }
  // A cluster that leaves and comes back later starts from its return.
  for (auto it = joined_.begin(); it != joined_.end();) {
    it = after.count(it->first) ? std::next(it) : joined_.erase(it);
  }
  clusters_ = std::move(clusters);
  engines_ = std::move(engines);
  BuildSchedules();
}

std::vector<ManagedCluster> Scheduler::clusters() const {
  std::lock_guard<std::mutex> l(mu_);
  return clusters_;
}

std::map<std::string, std::string> Scheduler::engines() const {
  std::lock_guard<std::mutex> l(mu_);
  return engines_;
}

int64_t Scheduler::LastRun(const ManagedCluster& c, JobKind kind, const ServeState& s) const {
  auto rec = s.jobs.find(JobKey(c.Key(), kind));
  if (rec != s.jobs.end())
    return rec->second.last_run;
  return ScheduleStart(c, s);
}

int64_t Scheduler::ScheduleStart(const ManagedCluster& c, const ServeState& s) const {
  auto joined = joined_.find(c.Key());
  return joined == joined_.end() ? s.first_start : std::max(s.first_start, joined->second);
}

std::map<std::string, int64_t> Scheduler::ScheduleStarts() const {
  ServeState s = state_.Snapshot();
  std::lock_guard<std::mutex> l(mu_);
  std::map<std::string, int64_t> starts;
  for (const auto& c : clusters_)
    starts[c.Key()] = ScheduleStart(c, s);
  return starts;
}

Scheduler::~Scheduler() {
  Shutdown(std::chrono::milliseconds(0));
}

std::optional<core::TimePoint> Scheduler::NextRun(const ManagedCluster& c, JobKind kind) const {
  ServeState s = state_.Snapshot();
  std::lock_guard<std::mutex> l(mu_);
  auto cs = schedules_.find(c.Key());
  if (cs == schedules_.end() || !cs->second.count(kind))
    return std::nullopt;
  return cs->second.at(kind).Next(core::TimePoint(std::chrono::seconds(LastRun(c, kind, s))));
}

std::optional<JobKind> Scheduler::DueJob(const ManagedCluster& c, const ServeState& s,
                                         int64_t now) const {
  auto cs = schedules_.find(c.Key());
  if (cs == schedules_.end())
    return std::nullopt;
  std::optional<JobKind> pick;
  core::TimePoint pick_due = core::TimePoint::max();
  for (JobKind kind : kPriority) {  // ties go to the earlier kind in kPriority
    auto sched = cs->second.find(kind);
    if (sched == cs->second.end())
      continue;
    core::TimePoint due =
        sched->second.Next(core::TimePoint(std::chrono::seconds(LastRun(c, kind, s))));
    if (due <= core::TimePoint(std::chrono::seconds(now)) && due < pick_due) {
      pick = kind;
      pick_due = due;
    }
  }
  return pick;
}

int Scheduler::Tick() {
  ReapFinished();
  int64_t now = UnixSeconds(clock_.Now());
  ServeState s = state_.Snapshot();
  int started = 0;
  std::lock_guard<std::mutex> l(mu_);
  if (stopping_)
    return 0;
  for (const auto& c : clusters_) {
    if (busy_.count(c.Key()))
      continue;
    auto kind = DueJob(c, s, now);
    if (!kind)
      continue;
    core::Status st = state_.Update([&](ServeState& state) {
      state.jobs[JobKey(c.Key(), *kind)].last_run = now;
      state.clock_now = now;
    });
    if (!st.ok())
      core::LogError("save serve state", {{"error", st.message()}});
    busy_.insert(c.Key());
    auto e = engines_.find(c.Key());
    JobRequest req{*kind, c, e == engines_.end() ? "" : e->second};
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers_.push_back({std::thread([this, req, done] {
                          Execute(req);
                          *done = true;
                        }),
                        done});
    ++started;
  }
  return started;
}

void Scheduler::Execute(const JobRequest& request) {
  std::string job = JobKindName(request.kind);
  core::LogInfo("job start", {{"job", job}, {"cluster", request.cluster.Key()}});
  {
    std::lock_guard<std::mutex> l(mu_);
    ++in_runner_;
  }
  JobResult r = runner_.Run(request, abort_);
  {
    std::lock_guard<std::mutex> l(mu_);
    --in_runner_;
    idle_cv_.notify_all();
  }
  std::map<std::string, std::string> fields = {{"job", job},
                                               {"cluster", request.cluster.Key()},
                                               {"outcome", RecordedOutcome(r)},
                                               {"duration_seconds", Format(r.seconds)}};
  if (!r.snapshot_id.empty())
    fields["snapshot"] = r.snapshot_id.substr(0, 8);
  if (!r.error.empty())
    fields["error"] = r.error;
  if (r.outcome == JobOutcome::kError || r.outcome == JobOutcome::kAborted) {
    core::LogError("job end", fields);
  } else {
    core::LogInfo("job end", fields);
  }
  if (r.repair)
    LogRepair(request, *r.repair);
  Record(request, r);
  if (observer_)
    observer_(request, r);
  std::lock_guard<std::mutex> l(mu_);
  busy_.erase(request.cluster.Key());
  idle_cv_.notify_all();
}

void Scheduler::LogRepair(const JobRequest& request, const RepairReport& repair) {
  std::map<std::string, std::string> fields = {{"job", JobKindName(JobKind::kRepair)},
                                               {"cluster", request.cluster.Key()},
                                               {"result", RepairResultName(repair.result)},
                                               {"exit_code", std::to_string(repair.exit_code)},
                                               {"duration_seconds", Format(repair.seconds)}};
  if (!repair.error.empty())
    fields["error"] = repair.error;
  if (!repair.verdict.empty())
    fields["verdict"] = repair.verdict;
  if (repair.result == RepairResult::kHealed) {
    core::LogInfo("repair end", fields);
  } else {
    core::LogError("repair end", fields);
  }
}

void Scheduler::Record(const JobRequest& request, const JobResult& r) {
  int64_t now = UnixSeconds(clock_.Now());
  core::Status st = state_.Update([&](ServeState& s) {
    JobRecord& rec = s.jobs[JobKey(request.cluster.Key(), request.kind)];
    rec.runs++;
    rec.last_finish = now;
    s.clock_now = now;
    if (r.retention_failed)
      s.job_errors["retention"]++;
    s.retention_removed[request.cluster.Key()] += static_cast<int64_t>(r.retention_removed);
    if (r.repair)
      RecordRepair(s, request.cluster.Key(), *r.repair, rec.last_run, now);
    if (r.outcome == JobOutcome::kSkipped)
      return;  // gating: the evidence is already in the repository
    if (r.outcome == JobOutcome::kError || r.outcome == JobOutcome::kAborted)
      s.job_errors[JobKindName(request.kind)]++;
    rec.ok = r.ok;
    rec.outcome = RecordedOutcome(r);
    rec.error = r.error;
    rec.duration_seconds = r.seconds;
    if (r.ok || r.outcome == JobOutcome::kFailed) {
      rec.last_success = now;  // verify: when a verdict was recorded
      rec.snapshot_id = r.snapshot_id;
      if (request.kind == JobKind::kBackup)
        rec.size_bytes = r.size_bytes;
    }
  });
  if (!st.ok())
    core::LogError("save serve state", {{"error", st.message()}});
}

void Scheduler::ReapFinished() {
  std::vector<Worker> finished;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (*it->done) {
        finished.push_back(std::move(*it));
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : finished)
    w.thread.join();
}

void Scheduler::Shutdown(std::chrono::milliseconds grace) {
  std::unique_lock<std::mutex> l(mu_);
  stopping_ = true;
  if (!busy_.empty()) {
    core::LogInfo("waiting for running jobs",
                  {{"running", std::to_string(busy_.size())},
                   {"grace_seconds", std::to_string(grace.count() / 1000)}});
    if (!idle_cv_.wait_for(l, grace, [this] { return busy_.empty(); })) {
      core::LogWarn("grace period over, aborting running jobs");
      abort_ = true;
    }
  }
  std::vector<Worker> all = std::move(workers_);
  workers_.clear();
  l.unlock();
  for (auto& w : all)
    w.thread.join();
}

bool Scheduler::AbortJobs(std::chrono::milliseconds bound) {
  std::unique_lock<std::mutex> l(mu_);
  stopping_ = true;
  abort_ = true;
  return idle_cv_.wait_for(l, bound, [this] { return in_runner_ == 0; });
}

int Scheduler::running() const {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(busy_.size());
}

}  // namespace hasteward::op
