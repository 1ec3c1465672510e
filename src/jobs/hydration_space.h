// jobs/hydration_space: whether an instant restore's hydrated copy fits on the disk that receives
// it, checked before the instance is served: a disk that fills during hydration also fills the
// overlay's upper layer the running instance writes to (jobs/instant_restore.h).
#pragma once

#include <cstdint>
#include <string>

#include <sys/statvfs.h>

#include "core/status.h"
#include "repo/repository.h"

namespace hasteward::jobs {

// What the copy of a tree of `tree_bytes` needs free: the tree plus a margin for what the
// instance writes to the upper layer (on the same disk) while the copy runs: a tenth of the tree,
// at least kHydrationMinMarginBytes.
inline constexpr uint64_t kHydrationMinMarginBytes = uint64_t{64} * 1024 * 1024;
uint64_t HydrationBytesNeeded(uint64_t tree_bytes);

// The bytes an unprivileged writer may still use on the file system `st` describes.
uint64_t AvailableBytes(const struct statvfs& st);

// Ok when HydrationBytesNeeded(tree_bytes) fits in `available_bytes`; else kStorage naming
// `where` (the directory the copy goes to), both sizes and what to free, before anything changed.
core::Status CheckHydrationSpace(uint64_t tree_bytes, uint64_t available_bytes,
                                 const std::string& where);

// The total size of the files of the snapshot's tree at `tree_path` (the index must be loaded).
core::Result<uint64_t> TreeBytes(repo::Repository& repo, const repo::Snapshot& snapshot,
                                 const std::string& tree_path);

// CheckHydrationSpace for the snapshot's tree and the file system of `dir` (statvfs).
core::Status CheckHydrationFits(repo::Repository& repo, const repo::Snapshot& snapshot,
                                const std::string& tree_path, const std::string& dir);

// Whether `status` failed for lack of disk space (ENOSPC, EDQUOT in its message).
bool IsOutOfSpace(const core::Status& status);

}  // namespace hasteward::jobs
