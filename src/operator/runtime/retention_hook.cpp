#include "operator/runtime/retention_hook.h"

#include "core/clock.h"
#include "core/log.h"
#include "operator/runtime/repository_access.h"
#include "pitr/pitr_retention.h"
#include "repo/maintenance/prune.h"

namespace hasteward::op {

namespace {

// Other clusters' backups into the same repository hold shared locks; prune needs the exclusive
// one, so it waits this long for them.
constexpr std::chrono::seconds kLockWait{120};

}  // namespace

bool RetentionAvailable() {
  return true;
}

core::Result<RetentionOutcome> ApplyRetentionAfterBackup(const RepositorySpec& repository,
                                                         const ManagedCluster& cluster,
                                                         const std::string& engine) {
  RetentionOutcome out;
  if (cluster.retention.IsEmpty())
    return out;
  HS_ASSIGN_OR_RETURN(auto r, OpenManagedRepository(repository));
  repo::PruneRunOptions po;
  po.retention.policy = cluster.retention;
  po.retention.type = repo::PruneType::kBackup;
  po.retention.engine = engine;
  po.retention.cluster = cluster.name;
  po.retention.namespace_name = cluster.ns;
  po.retention.now = core::SystemClock::Get().Now();
  po.lock_wait = kLockWait;
  // Archived WAL and binlogs follow the kept base backups: only pieces no kept base needs go.
  static const pitr::PitrRetention kArchiveRetention;
  po.retention.archive = &kArchiveRetention;
  HS_ASSIGN_OR_RETURN(auto report, repo::RunPrune(*r, po));
  out.applied = true;
  out.removed = report.snapshots_removed;
  out.remaining = report.snapshots_remaining;
  core::LogInfo("retention applied", {{"cluster", cluster.Key()},
                                      {"repository", repository.name},
                                      {"removed", std::to_string(out.removed)},
                                      {"remaining", std::to_string(out.remaining)}});
  return out;
}

}  // namespace hasteward::op
