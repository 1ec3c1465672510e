#include "operator/standby/standby_runner.h"

#include <optional>
#include <utility>

#include "core/cron.h"
#include "core/log.h"
#include "dr/standby_verifier.h"

namespace hasteward::op {

struct StandbyRunner::Standby {
  dr::StandbySpec spec;
  mutable std::mutex mu;  // guards everything below
  std::condition_variable cv;
  StandbyProgress progress;
  bool stop = false;
  // The running discovery's result, set by its worker thread.
  std::optional<core::Result<dr::StandbyReport>> attempt;
  std::optional<core::CronSchedule> verify_schedule;  // none: no scheduled verification
  std::thread loop;
};

namespace {

// What an abandoned discovery reports: the bucket did not answer within the interval.
std::vector<dr::Condition> AbandonedConditions(const dr::StandbySpec& spec) {
  const auto interval = std::to_string(spec.freshness.discovery_interval.count());
  auto conditions = dr::UnreadableConditions(core::Status(
      core::ErrorCode::kTimeout,
      "the discovery did not end within its interval of " + interval + " s and was abandoned"));
  conditions.front().reason = "DiscoveryTimedOut";
  return conditions;
}

void Publish(StandbyProgress& progress, const core::Result<dr::StandbyReport>& result) {
  if (!result.ok()) {
    // The state file could not be read or written: nothing is known about the conditions.
    core::LogError("standby discovery failed",
                   {{"standby", progress.name}, {"error", result.status().message()}});
    progress.conditions.clear();
    progress.backlog_segments = -1;
    progress.evidence_age_seconds = -1;
    progress.cursor_written = false;
    return;
  }
  const dr::StandbyReport& report = *result;
  progress.conditions = report.conditions;
  progress.backlog_segments = report.freshness.backlog_segments;
  progress.evidence_age_seconds = report.freshness.evidence_age_seconds;
  progress.cursor_written = report.cursor.written;
  progress.verification = report.verification;
  if (!report.cursor.error.ok()) {
    core::LogWarn("standby cursor not written",
                  {{"standby", progress.name}, {"error", report.cursor.error.message()}});
  }
}

}  // namespace

StandbyRunner::StandbyRunner(std::vector<dr::StandbySpec> standbys, StandbyRunnerOptions options)
    : options_(std::move(options)) {
  if (!options_.check) {
    options_.check = [](const dr::StandbySpec& spec) {
      return dr::CheckStandby(spec, dr::CheckOptions{});
    };
  }
  if (!options_.verify) {
    options_.verify = [clock = options_.clock](const dr::StandbySpec& spec) {
      dr::StandbyVerifierOptions verifier;
      verifier.clock = clock;
      return dr::VerifyStandbyNow(spec, verifier);
    };
  }
  for (auto& spec : standbys) {
    auto standby = std::make_unique<Standby>();
    standby->progress.name = spec.name;
    standby->progress.suspended = spec.freshness.suspend;
    if (!spec.freshness.verify_schedule.empty()) {
      auto schedule = core::CronSchedule::Parse(spec.freshness.verify_schedule);
      if (schedule.ok()) {
        standby->verify_schedule = std::move(*schedule);
      } else {  // the declaration's parser refuses it first; kept as a log, not a crash
        core::LogError("standby verify schedule ignored",
                       {{"standby", spec.name}, {"error", schedule.status().message()}});
      }
    }
    standby->spec = std::move(spec);
    standbys_.push_back(std::move(standby));
  }
}

StandbyRunner::~StandbyRunner() {
  StopAll();
}

void StandbyRunner::Start() {
  std::lock_guard<std::mutex> lock(start_mu_);
  if (started_)
    return;
  started_ = true;
  for (auto& standby : standbys_) {
    if (standby->spec.freshness.suspend) {
      core::LogInfo("standby suspended: no discovery, no cursor",
                    {{"standby", standby->spec.name}});
      continue;
    }
    core::LogInfo(
        "standby discovery started",
        {{"standby", standby->spec.name},
         {"interval_seconds", std::to_string(standby->spec.freshness.discovery_interval.count())}});
    standby->loop = std::thread([this, s = standby.get()] { Loop(*s); });
  }
}

void StandbyRunner::StopAll() {
  for (auto& standby : standbys_) {
    {
      std::lock_guard<std::mutex> lock(standby->mu);
      standby->stop = true;
    }
    standby->cv.notify_all();
  }
  for (auto& standby : standbys_) {
    if (standby->loop.joinable())
      standby->loop.join();
  }
}

std::vector<StandbyProgress> StandbyRunner::Progress() const {
  std::vector<StandbyProgress> out;
  for (const auto& standby : standbys_) {
    std::lock_guard<std::mutex> lock(standby->mu);
    out.push_back(standby->progress);
  }
  return out;
}

void StandbyRunner::Loop(Standby& standby) const {
  const auto interval = standby.spec.freshness.discovery_interval;
  std::optional<core::TimePoint> next_verify;
  if (standby.verify_schedule) {
    next_verify = standby.verify_schedule->Next(options_.clock->Now());
  }
  bool discovery_due = true;
  auto next_discovery = options_.clock->Monotonic();
  while (true) {
    if (discovery_due) {
      const auto started = options_.clock->Monotonic();
      if (!DiscoverOnce(standby))
        return;
      // An abandoned discovery already took longer than the interval: the next starts at once.
      next_discovery = started + interval;
    }
    if (next_verify && options_.clock->Now() >= *next_verify) {
      VerifyOnce(standby);
      next_verify = standby.verify_schedule->Next(options_.clock->Now());
    }
    // Sleep until the earlier of the next discovery and the schedule's next firing.
    std::chrono::steady_clock::duration wait = next_discovery - options_.clock->Monotonic();
    discovery_due = true;
    if (next_verify) {
      const std::chrono::steady_clock::duration until_verify =
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(*next_verify -
                                                                          options_.clock->Now());
      if (until_verify < wait) {
        wait = until_verify;
        discovery_due = false;
      }
    }
    std::unique_lock<std::mutex> lock(standby.mu);
    if (standby.cv.wait_for(lock, wait, [&] { return standby.stop; }))
      return;
  }
}

void StandbyRunner::VerifyOnce(Standby& standby) const {
  {
    std::lock_guard<std::mutex> lock(standby.mu);
    if (standby.stop)
      return;
  }
  auto outcome = options_.verify(standby.spec);
  std::lock_guard<std::mutex> lock(standby.mu);
  if (!outcome.ok()) {
    // The source could not be read or the state file written: the record stays as it was.
    core::LogError("standby verification failed to run",
                   {{"standby", standby.spec.name}, {"error", outcome.status().message()}});
    return;
  }
  core::LogInfo(
      "standby verification: " + outcome->gate.message,
      {{"standby", standby.spec.name},
       {"result", outcome->record ? dr::VerificationResultName(outcome->record->result) : "none"}});
  if (outcome->gate.run)
    ++standby.progress.verifications;
  standby.progress.verification = outcome->record;
  if (!outcome->conditions.empty())
    standby.progress.conditions = outcome->conditions;
}

bool StandbyRunner::DiscoverOnce(Standby& standby) const {
  const auto started = options_.clock->Monotonic();
  {
    std::lock_guard<std::mutex> lock(standby.mu);
    standby.attempt.reset();
  }
  // The discovery runs on its own thread so that this one can give up waiting for it.
  std::thread worker([this, &standby] {
    auto result = options_.check(standby.spec);
    std::lock_guard<std::mutex> lock(standby.mu);
    standby.attempt.emplace(std::move(result));
    standby.cv.notify_all();
  });
  bool stopped = false;
  {
    std::unique_lock<std::mutex> lock(standby.mu);
    const bool ended = standby.cv.wait_for(lock, standby.spec.freshness.discovery_interval, [&] {
      return standby.attempt.has_value() || standby.stop;
    });
    StandbyProgress& progress = standby.progress;
    if (standby.attempt.has_value()) {
      Publish(progress, *standby.attempt);
    } else if (ended) {
      stopped = true;  // stopping: the running discovery's result no longer matters
    } else {
      core::LogWarn(
          "standby discovery abandoned: it exceeded its interval",
          {{"standby", standby.spec.name},
           {"interval_seconds", std::to_string(standby.spec.freshness.discovery_interval.count())},
           {"hint",
            "the source repository answers too slowly; the next discovery starts once "
            "this one returns (bounded by HASTEWARD_STORAGE_RETRY_SECONDS)"}});
      progress.conditions = AbandonedConditions(standby.spec);
      progress.cursor_written = false;
      ++progress.abandoned;
    }
    if (!stopped) {
      progress.last_discovery = options_.clock->NowUnixSeconds();
      progress.last_duration_seconds = core::SecondsSince(*options_.clock, started);
      ++progress.discoveries;
    }
  }
  // One at a time: the next discovery starts only once this one has returned.
  worker.join();
  std::lock_guard<std::mutex> lock(standby.mu);
  return !stopped && !standby.stop;
}

}  // namespace hasteward::op
