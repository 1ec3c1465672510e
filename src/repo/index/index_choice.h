// repo/index/index_choice: the one rule that decides whether a repository's index is used from
// the on-disk file (disk_index.h) or loaded into memory, shared by blob lookups
// (Repository::LoadBlobIndex) and prune (repo/maintenance/prune.h).
#pragma once

#include <vector>

#include "repo/index/index_options.h"
#include "storage/backend.h"

namespace hasteward::repo {

// Whether index files of these sizes are used on disk under `options`: never without a cache
// directory or with IndexMode::kMemory; always with kDisk; with kAuto when they add up to more
// than options.disk_threshold_bytes.
bool WantsDiskIndex(const IndexOptions& options, const std::vector<storage::FileInfo>& index_files);

}  // namespace hasteward::repo
