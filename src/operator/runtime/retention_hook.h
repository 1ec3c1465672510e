// operator/runtime/retention_hook: "applies retention after backups" — runs the prune library
// (repo/maintenance/prune.h: forget by the policy's retention, then garbage collection) for the
// cluster's type=backup snapshots in one repository. An empty retention policy keeps everything
// and does nothing.
#pragma once

#include <string>

#include "core/status.h"
#include "operator/config.h"

namespace hasteward::op {

struct RetentionOutcome {
  bool applied = false;  // false: empty policy, nothing done
  size_t removed = 0;    // snapshots removed
  size_t remaining = 0;
};

// Whether this build deletes snapshots after backups.
bool RetentionAvailable();

// Errors: kLocked (another process held the repository for the whole lock wait), prune errors.
core::Result<RetentionOutcome> ApplyRetentionAfterBackup(const RepositorySpec& repository,
                                                         const ManagedCluster& cluster,
                                                         const std::string& engine);

}  // namespace hasteward::op
