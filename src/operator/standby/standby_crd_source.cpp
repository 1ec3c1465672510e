#include "operator/standby/standby_crd_source.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>

#include "core/clock.h"
#include "core/log.h"
#include "core/redact.h"
#include "core/utc_time.h"
#include "operator/crd/crd_catalog.h"
#include "operator/standby/standby_crd_specs.h"
#include "operator/standby/standby_crd_status.h"

namespace hasteward::op {

namespace {

using nlohmann::json;
using platform::OperatorResourceKind;

constexpr std::chrono::seconds kRetryAfterFailedRead{10};
// How often the statuses are compared with the runners' progress (a write only when it changed).
constexpr std::chrono::seconds kStatusEvery{1};
constexpr char kReasonOverridden[] = "OverriddenByConfig";

std::string SecretsHash(const dr::SourceSecrets& secrets) {
  std::string all = secrets.password;
  for (const auto& [name, value] : secrets.env)
    all.append("\n").append(name).append("=").append(value);
  return std::to_string(std::hash<std::string>{}(all));
}

std::string Now() {
  return core::Rfc3339Utc(core::SystemClock::Get().NowUnixSeconds());
}

// What a listed resource should be: its readiness and, when usable, the spec to run.
struct Desired {
  ReadyCondition ready;
  std::optional<dr::StandbySpec> spec;
  std::string fingerprint;  // a change restarts the standby
};

Desired Desire(const platform::OperatorResource& resource, const std::set<std::string>& file,
               platform::OperatorResources& resources) {
  Desired desired;
  if (file.count(resource.name) != 0) {
    desired.ready = {
        false, kReasonOverridden,
        "the operator's config file declares standby '" + resource.name + "', which runs instead"};
  } else if (auto parsed = StandbyFromResource(resource); !parsed.ok()) {
    desired.ready = {false, kReasonInvalidSpec, parsed.status().ToString()};
  } else if (auto spec = WithSecrets(*parsed, resources); !spec.ok()) {
    desired.ready = {false, kReasonSecretUnavailable, spec.status().ToString()};
  } else {
    const bool suspended = spec->freshness.suspend;
    desired.ready = {true, suspended ? kReasonSuspended : kReasonDiscovering,
                     suspended
                         ? "freshness.suspend is true: no discovery, no cursor"
                         : "discovery runs every " +
                               std::to_string(spec->freshness.discovery_interval.count()) + " s"};
    desired.fingerprint = SecretsHash(*spec->source.secrets);
    desired.spec = std::move(spec).value();
  }
  desired.fingerprint += "|" + resource.spec.dump() + "|" + desired.ready.reason + "|" +
                         core::RedactUrlCredentials(desired.ready.message);
  return desired;
}

}  // namespace

// NOLINTNEXTLINE(bugprone-exception-escape): stopping a runner throws only on allocation failure
struct StandbyCrdSource::Entry {
  int64_t generation = 0;
  std::string fingerprint;
  uint64_t epoch = 0;  // which runner's reports count (a stopped one may still return one)
  ReadyCondition ready;
  std::string ready_since;
  std::unique_ptr<StandbyRunner> runner;
  json written;  // the status last written; null: none yet
};

core::Result<std::unique_ptr<StandbyCrdSource>> StandbyCrdSource::Open(
    const ServeConfig& file, const platform::PlatformOptions& where,
    std::chrono::milliseconds resync) {
  HS_ASSIGN_OR_RETURN(auto platform, platform::OpenPlatform(where));
  HS_ASSIGN_OR_RETURN(auto resources, platform->OpenOperatorResources());
  if (!resources)
    return std::unique_ptr<StandbyCrdSource>();
  std::set<std::string> names;
  for (const auto& standby : file.standbys)
    names.insert(standby.name);
  return std::unique_ptr<StandbyCrdSource>(
      new StandbyCrdSource(std::move(names), std::move(platform), std::move(resources), resync));
}

StandbyCrdSource::StandbyCrdSource(std::set<std::string> file_standbys,
                                   std::unique_ptr<platform::Platform> platform,
                                   std::unique_ptr<platform::OperatorResources> resources,
                                   std::chrono::milliseconds resync)
    : file_standbys_(std::move(file_standbys)),
      platform_(std::move(platform)),
      resources_(std::move(resources)),
      resync_(resync) {}

StandbyCrdSource::~StandbyCrdSource() {
  Stop();
}

void StandbyCrdSource::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
  std::map<std::string, std::unique_ptr<Entry>> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries.swap(entries_);
  }
  entries.clear();  // outside the lock: a runner's discovery in flight reports under it
}

void StandbyCrdSource::StartActing() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!thread_.joinable() && !stopping_)
    thread_ = std::thread([this] { Run(); });
}

std::vector<StandbyProgress> StandbyCrdSource::Progress() const {
  std::vector<StandbyProgress> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, entry] : entries_) {
    if (entry->runner) {
      for (auto& progress : entry->runner->Progress())
        out.push_back(std::move(progress));
    }
  }
  return out;
}

void StandbyCrdSource::Run() {
  resources_->TakeChange();  // the first read below covers what happened so far
  auto next_read = core::SystemClock::Get().Monotonic();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const auto now = core::SystemClock::Get().Monotonic();
    if (resources_->TakeChange() || now >= next_read) {
      const bool read = Reconcile();
      next_read =
          now +
          (read ? resync_ : std::min<std::chrono::milliseconds>(resync_, kRetryAfterFailedRead));
    }
    WriteStatuses();
    lock.lock();
    cv_.wait_for(lock, kStatusEvery, [this] { return stopping_; });
  }
}

core::Result<dr::StandbyReport> StandbyCrdSource::Check(const dr::StandbySpec& spec,
                                                        uint64_t epoch) {
  auto report = dr::CheckStandby(spec, dr::CheckOptions{});
  if (report.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    auto entry = entries_.find(spec.name);
    if (entry != entries_.end() && entry->second->epoch == epoch)
      reports_[spec.name] = report->ToJson();
  }
  return report;
}

bool StandbyCrdSource::Reconcile() {
  auto listed = resources_->List(OperatorResourceKind::kStandbyCluster);
  if (!listed.ok()) {
    core::LogWarn("list StandbyCluster resources failed; keeping the running standbys",
                  {{"error", listed.status().message()}});
    return false;
  }
  std::vector<std::unique_ptr<StandbyRunner>> retired;
  std::vector<StandbyRunner*> started;
  std::set<std::string> seen;
  for (const auto& resource : *listed) {
    seen.insert(resource.name);
    Desired desired = Desire(resource, file_standbys_, *resources_);
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = entries_[resource.name];
    if (!slot)
      slot = std::make_unique<Entry>();
    Entry& entry = *slot;
    entry.generation = resource.generation;
    if (entry.fingerprint == desired.fingerprint && !entry.ready_since.empty())
      continue;
    if (entry.ready_since.empty() || entry.ready.ready != desired.ready.ready)
      entry.ready_since = Now();
    entry.fingerprint = std::move(desired.fingerprint);
    entry.ready = desired.ready;
    retired.push_back(std::move(entry.runner));
    reports_.erase(resource.name);
    entry.epoch = ++next_epoch_;
    if (desired.spec) {
      StandbyRunnerOptions options;
      options.check = [this, epoch = entry.epoch](const dr::StandbySpec& spec) {
        return Check(spec, epoch);
      };
      entry.runner = std::make_unique<StandbyRunner>(
          std::vector<dr::StandbySpec>{std::move(*desired.spec)}, std::move(options));
      started.push_back(entry.runner.get());
      core::LogInfo("standby resource runs",
                    {{"standby", resource.name}, {"generation", std::to_string(entry.generation)}});
    } else {
      core::LogWarn("standby resource refused; it does not run",
                    {{"standby", resource.name},
                     {"reason", entry.ready.reason},
                     {"error", core::RedactUrlCredentials(entry.ready.message)}});
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (seen.count(it->first) != 0) {
        ++it;
        continue;
      }
      core::LogInfo("standby resource deleted: its standby stops", {{"standby", it->first}});
      retired.push_back(std::move(it->second->runner));
      reports_.erase(it->first);
      it = entries_.erase(it);
    }
  }
  retired.clear();  // outside the lock: stopping waits for a discovery in flight
  for (StandbyRunner* runner : started)
    runner->Start();  // owned by entries_, which only this thread changes
  return true;
}

void StandbyCrdSource::WriteStatuses() {
  struct Pending {
    std::string name;
    json status;
    json previous;
  };
  std::vector<Pending> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, entry] : entries_) {
      std::optional<StandbyProgress> progress;
      if (entry->runner)
        progress = entry->runner->Progress().front();
      auto report = reports_.find(name);
      json status = StandbyClusterStatus(entry->generation, entry->ready, entry->ready_since,
                                         progress ? &*progress : nullptr,
                                         report != reports_.end() ? report->second : json());
      if (status != entry->written)
        pending.push_back({name, std::move(status), entry->written});
    }
  }
  for (auto& [name, status, previous] : pending) {
    json patch = status;
    // A merge patch keeps fields it does not name: a field that went away is removed explicitly.
    if (previous.is_object()) {
      for (const auto& [key, value] : previous.items()) {
        if (!patch.contains(key))
          patch[key] = nullptr;
      }
    }
    core::Status wrote =
        resources_->WriteStatus(OperatorResourceKind::kStandbyCluster, name, patch);
    if (!wrote.ok()) {
      core::LogWarn("write StandbyCluster status", {{"standby", name}, {"error", wrote.message()}});
      continue;  // tried again within a second
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto entry = entries_.find(name);
    if (entry != entries_.end())
      entry->second->written = std::move(status);
  }
}

}  // namespace hasteward::op
