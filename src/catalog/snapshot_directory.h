// catalog/snapshot_directory: one directory of a snapshot's tree, as both archive kinds read their
// snapshots (WAL files, binlog pieces and their manifest), without restoring anything.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "repo/repository.h"

namespace hasteward::catalog {

// The nodes of the directory at `path` ("a/b/c") below the snapshot's root tree; kNotFound when a
// component is missing. The pack index must be loaded.
core::Result<std::vector<repo::Node>> LoadDirectory(repo::Repository& repo,
                                                    const repo::Snapshot& snapshot,
                                                    const std::string& path);

}  // namespace hasteward::catalog
