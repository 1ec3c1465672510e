// jobs/native_parent: the parent an incremental native backup builds on. The newest native
// backup snapshot of the same cluster taken with the same block size whose tree is readable; its
// files' block IDs, so that blocks whose pages did not change name the parent's blobs instead of
// being read. A full read is forced on request (--full) and after N-1 incremental reads in a
// row (--full-every N), counted in the tag incremental_run.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::jobs {

// How many incremental reads in a row a snapshot ends (0: it read everything).
inline constexpr char kIncrementalRunTag[] = "incremental_run";

struct ParentFile {
  uint64_t size = 0;
  std::vector<repo::Id> content;  // block i holds bytes [i * block_size, (i + 1) * block_size)
};

struct NativeParent {
  repo::Snapshot snapshot;
  std::map<std::string, std::string> facts;  // its key=value tags
  std::map<std::string, ParentFile> files;   // by path relative to the data directory
  int run = 0;                               // its incremental_run
};

struct ParentRequest {
  size_t block_size = 0;
  bool full = false;   // --full
  int full_every = 7;  // --full-every: at most N-1 incremental reads in a row (0: no limit)
};

// Every file of a native snapshot's data directory (its first path), by path relative to it, with
// its blob IDs. The repository's blob index must be loaded. kNotFound when the snapshot holds no
// such directory; repository errors.
core::Result<std::map<std::string, ParentFile>> NativeTreeFiles(repo::Repository& repo,
                                                                const repo::Snapshot& snapshot);

// The parent, or nullopt with `why_full` (a FullReadReason name: no-parent, requested,
// full-every). The repository's blob index must be loaded (a SnapshotWriter opened it).
core::Result<std::optional<NativeParent>> ChooseNativeParent(repo::Repository& repo,
                                                             const platform::Cluster& cluster,
                                                             const ParentRequest& request,
                                                             std::string& why_full);

}  // namespace hasteward::jobs
