// operator/standby/standby_runner: the DR standbys `serve` runs (the config's `standbys:`,
// docs/standby.md). One thread per standby that is not suspended: every discoveryInterval it runs
// the same discovery as `standby status` (dr::CheckStandby: conditions, the retention floor cursor
// refreshed in the source repository, the state file), one at a time per standby. A discovery still
// running when its interval has passed is abandoned: the standby reports BucketReadable False
// (DiscoveryTimedOut) at once, and the next discovery starts only once the abandoned one has
// returned (a thread cannot be stopped mid-request; the storage layer's retry bound,
// HASTEWARD_STORAGE_RETRY_SECONDS, ends it), whose result is then discarded. A suspended standby
// does nothing. With freshness.verifySchedule (cron, UTC) the same loop also runs the standby's own
// gated verification (standby_verifier.h) each time the schedule fires: in the loop's thread,
// between two discoveries, so one standby verifies at most once at a time and never while its own
// discovery runs (the state file's lock also keeps a `standby verify` run beside serve from losing
// either's writes). A verification delays that standby's next discovery by its duration (bounded
// by activation.restoreTimeout); a discovery missed meanwhile starts at once afterwards. The last
// results feed /metrics (standby_metrics.h).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "dr/dr.h"
#include "dr/standby_verify.h"

namespace hasteward::op {

// What serve last learned about one standby.
struct StandbyProgress {
  std::string name;
  bool suspended = false;
  int64_t last_discovery = 0;  // unix seconds the last discovery ended (or was abandoned); 0: none
  double last_duration_seconds = -1;  // -1: none yet
  std::vector<dr::Condition> conditions;
  int64_t backlog_segments = -1;      // dr::Freshness's; -1: not measurable
  int64_t evidence_age_seconds = -1;  // dr::Freshness's; -1: not measurable
  bool cursor_written = false;
  int64_t discoveries = 0;  // ended, abandoned ones included
  int64_t abandoned = 0;    // exceeded their interval
  // The standby's last own verification (its state file's, refreshed by every discovery and
  // verification); none before the first.
  std::optional<dr::VerificationRecord> verification;
  int64_t verifications = 0;  // verifications serve ran (restored) since it started
};

// One discovery of a standby (dr::CheckStandby by default; tests substitute a slow one).
using StandbyCheck = std::function<core::Result<dr::StandbyReport>(const dr::StandbySpec&)>;

// One gated verification of a standby (dr::VerifyStandbyNow by default; tests substitute a fake).
using StandbyVerification =
    std::function<core::Result<dr::StandbyVerifyOutcome>(const dr::StandbySpec&)>;

struct StandbyRunnerOptions {
  StandbyCheck check;          // empty: dr::CheckStandby on the system clock
  StandbyVerification verify;  // empty: dr::VerifyStandbyNow on `clock`
  const core::Clock* clock = &core::SystemClock::Get();
};

// Thread-safe. Destruction stops every loop.
class StandbyRunner {
 public:
  StandbyRunner(std::vector<dr::StandbySpec> standbys, StandbyRunnerOptions options);
  ~StandbyRunner();
  StandbyRunner(const StandbyRunner&) = delete;
  StandbyRunner& operator=(const StandbyRunner&) = delete;

  // Starts the loop of every standby not suspended; its first discovery at once. Idempotent.
  void Start();
  // Stops the loops, waiting for a running discovery to return. Idempotent.
  void StopAll();
  // A copy of every declared standby's progress, in declaration order.
  std::vector<StandbyProgress> Progress() const;

 private:
  struct Standby;
  void Loop(Standby& standby) const;
  // Runs one discovery, bounded by the interval; false when stopped meanwhile.
  bool DiscoverOnce(Standby& standby) const;
  // Runs one gated verification and publishes it.
  void VerifyOnce(Standby& standby) const;

  StandbyRunnerOptions options_;
  std::vector<std::unique_ptr<Standby>> standbys_;
  std::mutex start_mu_;  // guards started_
  bool started_ = false;
};

}  // namespace hasteward::op
