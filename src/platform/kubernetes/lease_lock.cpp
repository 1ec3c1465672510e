#include "platform/kubernetes/lease_lock.h"

#include <ctime>
#include <thread>

namespace hasteward::platform::kubernetes {
namespace {

// metav1.MicroTime: "2006-01-02T15:04:05.000000Z".
std::string MicroTime(std::chrono::system_clock::time_point when) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  char full[64];
  std::snprintf(full, sizeof(full), "%s.%06lldZ", text,
                static_cast<long long>(micros % 1000000));  // NOLINT(google-runtime-int): printf
  return full;
}

// Sleeps `period` unless `stop` is set first (checked every 50 ms).
void SleepUnlessStopped(std::chrono::milliseconds period, const std::atomic<bool>& stop) {
  const core::Clock& clock = core::SystemClock::Get();
  const auto until = clock.Monotonic() + period;
  while (!stop && clock.Monotonic() < until) {
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), until - clock.Monotonic()));
  }
}

}  // namespace

nlohmann::json LeaseLock::Spec(const std::string& holder, std::chrono::seconds duration,
                               const std::string& acquire_time, int transitions) const {
  return {{"holderIdentity", holder},
          {"leaseDurationSeconds", duration.count()},
          {"acquireTime", acquire_time},
          {"renewTime", MicroTime(clock_.Now())},
          {"leaseTransitions", transitions}};
}

bool LeaseLock::IsLeader() const {
  return observed_holder_ == settings_.identity;
}

core::Result<bool> LeaseLock::TryAcquireOrRenew() {
  const auto duration = std::chrono::duration_cast<std::chrono::seconds>(settings_.lease_duration);
  auto current = client_.Get(resources::kLeases, settings_.ns, settings_.name);
  if (!current.ok()) {
    if (current.status().code() != core::ErrorCode::kNotFound) {
      return current.TakeStatus();
    }
    nlohmann::json lease = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", {{"name", settings_.name}, {"namespace", settings_.ns}}},
        {"spec", Spec(settings_.identity, duration, MicroTime(clock_.Now()), 0)}};
    auto created = client_.Create(resources::kLeases, settings_.ns, lease);
    if (!created.ok()) {
      return created.status().code() == core::ErrorCode::kAlreadyExists
                 ? core::Result<bool>(false)  // another candidate created it first
                 : core::Result<bool>(created.TakeStatus());
    }
    observed_ = *created;
    observed_raw_ = observed_["spec"].dump();
    observed_holder_ = settings_.identity;
    observed_at_ = clock_.Monotonic();
    observed_duration_ = duration;
    return true;
  }
  nlohmann::json& lease = *current;
  nlohmann::json spec = lease.value("spec", nlohmann::json::object());
  if (spec.dump() != observed_raw_) {
    observed_raw_ = spec.dump();
    observed_holder_ = spec.value("holderIdentity", "");
    observed_at_ = clock_.Monotonic();
    observed_duration_ = std::chrono::seconds(spec.value("leaseDurationSeconds", 0));
  }
  const bool valid = clock_.Monotonic() < observed_at_ + observed_duration_;
  if (!observed_holder_.empty() && valid && !IsLeader()) {
    return false;
  }
  const int transitions = spec.value("leaseTransitions", 0);
  lease["spec"] =
      IsLeader() ? Spec(settings_.identity, duration,
                        spec.value("acquireTime", MicroTime(clock_.Now())), transitions)
                 : Spec(settings_.identity, duration, MicroTime(clock_.Now()), transitions + 1);
  auto updated = client_.Replace(resources::kLeases, settings_.ns, lease);
  if (!updated.ok()) {
    // A 409 means another candidate wrote first: not leader this round.
    return updated.status().code() == core::ErrorCode::kAlreadyExists
               ? core::Result<bool>(false)
               : core::Result<bool>(updated.TakeStatus());
  }
  observed_ = *updated;
  observed_raw_ = observed_["spec"].dump();
  observed_holder_ = settings_.identity;
  observed_at_ = clock_.Monotonic();
  observed_duration_ = duration;
  return true;
}

core::Status LeaseLock::Release() {
  if (!IsLeader() || !observed_.is_object()) {
    return core::Status::Ok();
  }
  nlohmann::json lease = observed_;
  lease["spec"] = Spec("", std::chrono::seconds(1), MicroTime(clock_.Now()),
                       observed_["spec"].value("leaseTransitions", 0));
  auto released = client_.Replace(resources::kLeases, settings_.ns, lease);
  observed_holder_.clear();
  if (!released.ok() && released.status().code() != core::ErrorCode::kAlreadyExists) {
    return released.TakeStatus().Wrap("release lease '" + settings_.name + "'");
  }
  return core::Status::Ok();
}

core::Status RunLeaderElection(LeaseLock& lock, const std::function<void()>& on_started,
                               const std::function<void()>& on_stopped,
                               const std::atomic<bool>& stop) {
  const LeaseSettings& settings = lock.settings();
  while (!stop) {
    auto acquired = lock.TryAcquireOrRenew();
    if (acquired.ok() && *acquired) {
      break;
    }
    SleepUnlessStopped(settings.retry_period, stop);
  }
  if (stop) {
    return core::Status::Ok();
  }
  on_started();
  auto last_renew = lock.clock().Monotonic();
  while (!stop) {
    SleepUnlessStopped(settings.retry_period, stop);
    if (stop) {
      break;
    }
    auto renewed = lock.TryAcquireOrRenew();
    if (renewed.ok() && *renewed) {
      last_renew = lock.clock().Monotonic();
    } else if (lock.clock().Monotonic() - last_renew >= settings.renew_deadline ||
               (renewed.ok() && !lock.IsLeader())) {
      on_stopped();
      return {core::ErrorCode::kSafetyStop,
              "leadership of lease '" + settings.name + "' lost (holder now '" +
                  lock.observed_holder() + "')",
              "another replica leads; this one stops acting"};
    }
  }
  core::Status released = lock.Release();
  on_stopped();
  return released;
}

}  // namespace hasteward::platform::kubernetes
