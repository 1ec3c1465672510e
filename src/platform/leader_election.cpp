#include "platform/leader_election.h"

namespace hasteward::platform {

core::Status LeaderElectionSettings::Validate() const {
  // client-go's rules: a leader must notice a failed renewal (renew deadline) before its lease
  // can expire for the others (lease duration), and must retry more than once within it.
  if (retry_period.count() <= 0 || retry_period >= renew_deadline ||
      renew_deadline >= lease_duration) {
    return core::Usage("leader election needs 0 < retry period (" +
                           std::to_string(retry_period.count()) + " ms) < renew deadline (" +
                           std::to_string(renew_deadline.count()) + " ms) < lease duration (" +
                           std::to_string(lease_duration.count()) + " ms)",
                       "fix leaderElection in the serve config (defaults: 15 s, 10 s, 2 s)");
  }
  if (lease_name.empty()) {
    return core::Usage("leader election needs a lease name", "set leaderElection.leaseName");
  }
  return core::Status::Ok();
}

}  // namespace hasteward::platform
