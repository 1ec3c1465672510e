#include "platform/kubernetes/lease_election.h"

#include <algorithm>
#include <random>

#include <unistd.h>

#include "core/hex.h"
#include "core/log.h"

namespace hasteward::platform::kubernetes {
namespace {

constexpr auto kStopPoll = std::chrono::milliseconds(50);

int64_t Nanos(std::chrono::steady_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
}

std::string RandomSuffix() {
  std::random_device device;
  std::vector<uint8_t> bytes(4);
  for (auto& byte : bytes) {
    byte = static_cast<uint8_t>(device());
  }
  return core::HexEncode(bytes);
}

// client-go bounds each acquire-or-renew by the renew deadline (leaderelection.go: renew's
// context.WithTimeout): an answer after it cannot keep the lease anyway, and a request that a
// network partition leaves unanswered would otherwise hold the campaign (and Lost(), and Stop())
// until TCP gives up, many minutes later.
std::shared_ptr<const KubeClient> BoundedBy(const KubeClient& client,
                                            std::chrono::milliseconds renew_deadline) {
  auto bounded = std::make_shared<KubeClient>(client);
  bounded->SetRequestTimeout(renew_deadline);
  return bounded;
}

}  // namespace

LeaseSettings ResolveLeaseSettings(const LeaderElectionSettings& settings, const EnvLookup& env,
                                   const std::string& fallback_ns) {
  LeaseSettings out;
  out.name = settings.lease_name;
  out.ns = settings.ns;
  if (out.ns.empty()) {
    out.ns = env("POD_NAMESPACE").value_or(fallback_ns);
  }
  out.identity = settings.identity;
  if (out.identity.empty()) {
    std::string base = env("POD_NAME").value_or("");
    if (base.empty()) {
      char host[256] = {};
      base = ::gethostname(host, sizeof(host) - 1) == 0 ? host : "hasteward";
    }
    out.identity = base + "_" + RandomSuffix();
  }
  out.lease_duration = settings.lease_duration;
  out.renew_deadline = settings.renew_deadline;
  out.retry_period = settings.retry_period;
  return out;
}

LeaseElection::LeaseElection(const std::shared_ptr<const KubeClient>& client,
                             LeaseSettings settings, const core::Clock& clock)
    : client_(BoundedBy(*client, settings.renew_deadline)),
      settings_(std::move(settings)),
      clock_(clock),
      lock_(*client_, settings_, clock) {}

LeaseElection::~LeaseElection() {
  (void)LeaseElection::Stop();  // qualified: no virtual dispatch in a destructor
}

void LeaseElection::Start() {
  thread_ = std::thread([this] { Campaign(); });
}

bool LeaseElection::Leading() const {
  if (!leading_ || lost_) {
    return false;
  }
  // A replica frozen (or cut off) past its renew deadline may still believe it leads; by the
  // clock it does not, and another replica may take over once the lease expires.
  const auto since = std::chrono::nanoseconds(Nanos(clock_.Monotonic()) - last_renew_ns_);
  return since < settings_.renew_deadline;
}

void LeaseElection::SleepRetryPeriod() {
  const auto until = clock_.Monotonic() + settings_.retry_period;
  while (!stop_ && clock_.Monotonic() < until) {
    clock_.SleepFor(
        std::min<std::chrono::steady_clock::duration>(kStopPoll, until - clock_.Monotonic()));
  }
}

bool LeaseElection::Round() {
  auto held = lock_.TryAcquireOrRenew();
  const auto now = clock_.Monotonic();
  if (held.ok() && *held) {
    last_renew_ns_ = Nanos(now);
    if (!leading_) {
      leading_ = true;
      core::LogInfo("leadership acquired",
                    {{"lease", settings_.ns + "/" + settings_.name}, {"identity", identity()}});
    }
    return true;
  }
  if (!leading_) {
    return true;  // a follower keeps trying
  }
  const auto since = std::chrono::nanoseconds(Nanos(now) - last_renew_ns_);
  const bool other_holder = held.ok() && !lock_.IsLeader();
  if (since < settings_.renew_deadline && !other_holder) {
    return true;  // retry within the deadline
  }
  lost_ = true;
  core::LogError("leadership lost", {{"lease", settings_.ns + "/" + settings_.name},
                                     {"identity", identity()},
                                     {"holder", lock_.observed_holder()},
                                     {"error", held.ok() ? std::string("renew deadline passed")
                                                         : held.status().message()}});
  return false;
}

void LeaseElection::Campaign() {
  while (!stop_ && Round()) {
    SleepRetryPeriod();
  }
}

core::Status LeaseElection::Stop() {
  std::lock_guard<std::mutex> guard(stop_mu_);
  if (stopped_) {
    return core::Status::Ok();
  }
  stopped_ = true;
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
  // A replica that lost the lease must not write it again (another holder owns it now).
  if (leading_ && !lost_) {
    leading_ = false;
    return lock_.Release();
  }
  leading_ = false;
  return core::Status::Ok();
}

}  // namespace hasteward::platform::kubernetes
