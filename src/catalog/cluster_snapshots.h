// catalog/cluster_snapshots: which snapshots of the repository are a cluster's, by its tags.
#pragma once

#include <vector>

#include "core/status.h"
#include "platform/platform.h"
#include "repo/repository.h"
#include "repo/snapshot/snapshot_type.h"

namespace hasteward::catalog {

// The cluster's snapshots of the selected type (any when the selector is empty), oldest first.
core::Result<std::vector<repo::Snapshot>> ClusterSnapshots(repo::Repository& repo,
                                                           const platform::Cluster& cluster,
                                                           const repo::SnapshotTypeSelector& type);

}  // namespace hasteward::catalog
