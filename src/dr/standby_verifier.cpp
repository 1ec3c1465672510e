#include "dr/standby_verifier.h"

#include <chrono>
#include <utility>

#include "core/cron.h"
#include "platform/registry.h"
#include "verify/verify.h"

namespace hasteward::dr {

namespace {

// The cluster whose backups are verified, with the template cluster's credentials when the
// inventory has it (a native backup's checks need the source's roles; see the header).
platform::Cluster VerifiedCluster(const StandbySpec& spec, const std::string& inventory_path) {
  platform::Cluster cluster = spec.SourceCluster();
  platform::PlatformOptions platform_options;
  if (!spec.cluster_template.platform.empty()) {
    platform_options.name = spec.cluster_template.platform;
  }
  platform_options.inventory_path = inventory_path;
  auto platform = platform::OpenPlatform(platform_options);
  if (!platform.ok()) {
    return cluster;
  }
  auto target = (*platform)->FindCluster(spec.cluster_template.ns, spec.cluster_template.name);
  if (target.ok()) {
    cluster.credentials = target->credentials;
  }
  return cluster;
}

}  // namespace

SnapshotVerifier ScratchSnapshotVerifier(const StandbySpec& spec,
                                         const StandbyVerifierOptions& options) {
  verify::VerifyOptions verify_options;
  verify_options.timeout = spec.activation.restore_timeout;
  verify_options.verify_root = options.verify_root;
  verify_options.access = verify::RepositoryAccess::kReadOnly;
  platform::Cluster cluster = VerifiedCluster(spec, options.inventory_path);
  return [cluster = std::move(cluster), verify_options](
             repo::Repository& repository,
             const repo::Snapshot& backup) -> core::Result<ScratchVerdict> {
    HS_ASSIGN_OR_RETURN(verify::VerificationReport report,
                        verify::VerifySnapshot(cluster, repository, backup, verify_options));
    ScratchVerdict verdict;
    verdict.ok = report.ok;
    verdict.failures = std::move(report.failures);
    verdict.restored_bytes = report.restored_bytes;
    return verdict;
  };
}

bool VerifyRetryDue(const std::string& schedule, int64_t verified_at, int64_t now) {
  if (schedule.empty()) {
    return false;
  }
  auto cron = core::CronSchedule::Parse(schedule);
  if (!cron.ok()) {
    return false;
  }
  const core::TimePoint after{std::chrono::seconds(verified_at)};
  return cron->Next(after) <= core::TimePoint{std::chrono::seconds(now)};
}

core::Result<StandbyVerifyOutcome> VerifyStandbyNow(const StandbySpec& spec,
                                                    const StandbyVerifierOptions& options) {
  StandbyVerifyOptions verify_options;
  verify_options.verifier = ScratchSnapshotVerifier(spec, options);
  verify_options.force = options.force;
  verify_options.clock = options.clock;
  const core::Clock* clock = options.clock;
  verify_options.retry_due = [schedule = spec.freshness.verify_schedule, clock](int64_t at) {
    return VerifyRetryDue(schedule, at, clock->NowUnixSeconds());
  };
  return VerifyStandby(spec, verify_options);
}

}  // namespace hasteward::dr
