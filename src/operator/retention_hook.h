// operator/retention_hook: "applies retention after backups". The deletion itself (forget +
// garbage collection) belongs to the prune library being built in repo/maintenance; until it
// lands this hook computes the retention plan with PlanRetention, logs what would be removed and
// removes nothing (metrics report capability retention=0). TODO(#prune): call the prune library.
#pragma once

#include <string>

#include "core/status.h"
#include "operator/config.h"

namespace hasteward::op {

struct RetentionOutcome {
  bool applied = false;  // false: plan only (no prune library yet)
  size_t planned_removals = 0;
  size_t removed = 0;
};

// Whether this build deletes snapshots after backups.
bool RetentionAvailable();

core::Result<RetentionOutcome> ApplyRetentionAfterBackup(const RepositorySpec& repository,
                                                         const ManagedCluster& cluster,
                                                         const std::string& engine);

}  // namespace hasteward::op
