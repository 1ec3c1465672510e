#include "operator/crd/crd_status.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/redact.h"
#include "core/utc_time.h"
#include "operator/runtime/repository_access.h"

namespace hasteward::op {

namespace {

using nlohmann::json;
using platform::OperatorResourceKind;

constexpr char kReasonReady[] = "Ready";
constexpr char kReasonOverridden[] = "OverriddenByConfig";
constexpr char kReasonRepositoryUnavailable[] = "RepositoryUnavailable";
constexpr char kReasonWrongPassword[] = "WrongPassword";
constexpr char kReasonUnreachable[] = "Unreachable";

template <typename Spec>
bool Named(const std::vector<Spec>& specs, const std::string& name) {
  for (const auto& spec : specs) {
    if (spec.name == name)
      return true;
  }
  return false;
}

json Conditions(const CrdResourceInfo& info, const ReadyCondition& ready,
                const std::string& transition_time) {
  return json::array({{{"type", "Ready"},
                       {"status", ready.ready ? "True" : "False"},
                       {"reason", ready.reason},
                       {"message", ready.message},
                       {"lastTransitionTime", transition_time},
                       {"observedGeneration", info.generation}}});
}

}  // namespace

RepositoryCheck CheckRepository(const RepositorySpec& repository, int64_t now) {
  RepositoryCheck check;
  check.checked_at = now;
  auto opened = OpenManagedRepository(repository);
  auto files = opened.ok() ? (*opened)->ListFiles(storage::FileType::kSnapshot)
                           : core::Result<std::vector<storage::FileInfo>>(opened.status());
  if (files.ok()) {
    check.snapshots = files->size();
    check.condition = {true, kReasonReady, "the repository opens with its password"};
  } else if (files.status().code() == core::ErrorCode::kWrongPassword) {
    check.condition = {false, kReasonWrongPassword,
                       "the password from passwordSecretRef opens no key of the repository"};
  } else {
    // Errors quote the location, which may be a URL with credentials.
    check.condition = {false, kReasonUnreachable,
                       core::RedactUrlCredentials(files.status().ToString())};
  }
  return check;
}

ReadyCondition PolicyReadiness(const CrdResourceInfo& policy, const ServeConfig& file,
                               const ServeConfig& effective) {
  if (policy.problem)
    return {false, policy.problem->reason, policy.problem->message};
  if (Named(file.policies, policy.name)) {
    return {false, kReasonOverridden,
            "the operator's config file defines policy '" + policy.name + "', which is used"};
  }
  for (const auto& candidate : effective.policies) {
    if (candidate.name != policy.name)
      continue;
    for (const auto& repository : candidate.repositories) {
      if (!Named(effective.repositories, repository)) {
        return {false, kReasonRepositoryUnavailable,
                "repository '" + repository + "' is missing or refused (see its status)"};
      }
    }
  }
  return {true, kReasonReady, "clusters that opt in with this policy are scheduled"};
}

std::optional<ReadyCondition> RepositoryRefusal(const CrdResourceInfo& repository,
                                                const ServeConfig& file) {
  if (repository.problem)
    return ReadyCondition{false, repository.problem->reason, repository.problem->message};
  if (Named(file.repositories, repository.name)) {
    return ReadyCondition{
        false, kReasonOverridden,
        "the operator's config file defines repository '" + repository.name + "', which is used"};
  }
  return std::nullopt;
}

json PolicyStatus(const CrdResourceInfo& policy, size_t managed_clusters,
                  const ReadyCondition& ready, const std::string& transition_time) {
  return {{"observedGeneration", policy.generation},
          {"managedClusters", managed_clusters},
          {"conditions", Conditions(policy, ready, transition_time)}};
}

json RepositoryStatus(const CrdResourceInfo& repository, const ReadyCondition& ready,
                      const std::optional<RepositoryCheck>& check,
                      const std::string& transition_time) {
  json status = {{"observedGeneration", repository.generation},
                 {"conditions", Conditions(repository, ready, transition_time)}};
  if (check) {
    status["lastCheckTime"] = core::Rfc3339Utc(check->checked_at);
    if (check->snapshots)
      status["snapshots"] = *check->snapshots;
  }
  return status;
}

CrdStatusReporter::CrdStatusReporter(platform::OperatorResources& resources,
                                     std::chrono::milliseconds recheck)
    : resources_(resources), recheck_(recheck), thread_([this] { Run(); }) {}

CrdStatusReporter::~CrdStatusReporter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void CrdStatusReporter::Update(const ServeConfig& file, const CrdState& state,
                               const ServeConfig& effective,
                               const std::vector<ManagedCluster>& managed) {
  Inputs inputs{file, state, effective, {}};
  for (const auto& cluster : managed)
    ++inputs.managed[cluster.policy];
  std::lock_guard<std::mutex> lock(mu_);
  inputs_ = std::move(inputs);
  dirty_ = true;
  cv_.notify_all();
}

void CrdStatusReporter::RepositoryWritten(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  written_repositories_.insert(name);
  dirty_ = true;
  cv_.notify_all();
}

void CrdStatusReporter::Run() {
  auto next_recheck = core::SystemClock::Get().Monotonic() + recheck_;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_until(lock, next_recheck, [this] { return stopping_ || dirty_; });
    if (stopping_)
      return;
    const bool recheck_all = core::SystemClock::Get().Monotonic() >= next_recheck;
    if (recheck_all)
      next_recheck = core::SystemClock::Get().Monotonic() + recheck_;
    if (!inputs_)
      continue;
    Inputs inputs = *inputs_;
    std::set<std::string> recheck;
    recheck.swap(written_repositories_);
    dirty_ = false;
    lock.unlock();
    WriteAll(inputs, recheck, recheck_all);
    lock.lock();
  }
}

void CrdStatusReporter::WriteAll(const Inputs& inputs, const std::set<std::string>& recheck,
                                 bool recheck_all) {
  const int64_t now = core::SystemClock::Get().NowUnixSeconds();
  for (const auto& info : inputs.state.repository_resources) {
    std::optional<ReadyCondition> ready = RepositoryRefusal(info, inputs.file);
    std::optional<RepositoryCheck> check;
    if (!ready) {
      for (const auto& spec : inputs.state.repositories) {
        if (spec.name != info.name)
          continue;
        const std::string fingerprint = RepositoryFingerprint(spec);
        auto cached = checks_.find(info.name);
        if (cached == checks_.end() || cached->second.first != fingerprint || recheck_all ||
            recheck.count(info.name)) {
          checks_[info.name] = {fingerprint, CheckRepository(spec, now)};
        }
        check = checks_[info.name].second;
        ready = check->condition;
      }
    }
    if (!ready)
      continue;  // listed as usable but gone from the specs meanwhile: the next update writes it
    WarnInvalidOnce(OperatorResourceKind::kBackupRepository, info);
    WriteIfChanged(
        OperatorResourceKind::kBackupRepository, info.name,
        [&](const std::string& time) { return RepositoryStatus(info, *ready, check, time); },
        ready->ready);
  }
  for (const auto& info : inputs.state.policy_resources) {
    const ReadyCondition ready = PolicyReadiness(info, inputs.file, inputs.effective);
    WarnInvalidOnce(OperatorResourceKind::kBackupPolicy, info);
    auto managed = inputs.managed.find(info.name);
    const size_t count =
        ready.reason == kReasonOverridden || managed == inputs.managed.end() ? 0 : managed->second;
    WriteIfChanged(
        OperatorResourceKind::kBackupPolicy, info.name,
        [&](const std::string& time) { return PolicyStatus(info, count, ready, time); },
        ready.ready);
  }
}

void CrdStatusReporter::WarnInvalidOnce(OperatorResourceKind kind, const CrdResourceInfo& info) {
  if (!info.problem || info.problem->reason != kReasonInvalidSpec)
    return;
  const std::string key = std::string(platform::OperatorResourceKindName(kind)) + "/" + info.name;
  auto warned = warned_.find(key);
  // Once per generation: a status is rewritten on every change of anything else, an Event is a
  // note in a log that an unchanged spec must not flood (a new generation is a new attempt).
  if (warned != warned_.end() && warned->second == info.generation)
    return;
  platform::ClusterEvent event{platform::ClusterEventType::kWarning, kReasonInvalidSpec,
                               "generation " + std::to_string(info.generation) + " is not used: " +
                                   info.problem->message + "; fix the spec and apply it again"};
  // Where the platform has no notes on its resources this is a no-op: the condition alone tells.
  core::Status recorded = resources_.RecordEvent(kind, info.name, event);
  if (!recorded.ok()) {
    core::LogWarn("record Event on operator resource",
                  {{"resource", key}, {"error", recorded.message()}});
    return;  // tried again at the next write
  }
  warned_[key] = info.generation;
}

void CrdStatusReporter::WriteIfChanged(
    OperatorResourceKind kind, const std::string& name,
    const std::function<nlohmann::json(const std::string&)>& status_at, bool ready) {
  const std::string key = std::string(platform::OperatorResourceKindName(kind)) + "/" + name;
  auto previous = written_.find(key);
  // lastTransitionTime moves only when Ready flips, as for every Kubernetes condition.
  const std::string transition_time =
      previous != written_.end() && previous->second.ready == ready
          ? previous->second.transition_time
          : core::Rfc3339Utc(core::SystemClock::Get().NowUnixSeconds());
  json status = status_at(transition_time);
  if (previous != written_.end() && previous->second.status == status)
    return;
  core::Status wrote = resources_.WriteStatus(kind, name, status);
  if (!wrote.ok()) {
    core::LogWarn("write operator resource status",
                  {{"resource", key}, {"error", wrote.message()}});
    return;
  }
  written_[key] = {std::move(status), ready, transition_time};
}

}  // namespace hasteward::op
