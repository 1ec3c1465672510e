// repo/index/index_options: which BlobIndex a repository uses for blob lookups, and where the
// on-disk one is cached.
#pragma once

#include <cstdint>
#include <string>

#include "repo/index/disk_index_builder.h"

namespace hasteward::repo {

enum class IndexMode {
  kAuto,    // on disk when the index files are larger than disk_threshold_bytes
  kMemory,  // MasterIndex, as restic (the default for small repositories)
  kDisk,    // DiskBlobIndex whatever the size (tests, and users who want the bound always)
};

struct IndexOptions {
  IndexMode mode = IndexMode::kAuto;
  // Directory of this repository's on-disk index; "" = none, so the index stays in memory.
  std::string cache_dir;
  // Index files hold ~40 bytes a blob (8 MiB: ~200 k blobs). Loading them into memory cost 771 MiB
  // of peak RSS at 1 M blobs (`HASTEWARD_INDEX=memory repo check`, index_scale_gen), so above
  // ~200 k the file keeps backup and check within a bounded working set.
  uint64_t disk_threshold_bytes = uint64_t{8} << 20;
  DiskIndexBuildOptions build;
};

// The options for the repository at `location` from the environment: HASTEWARD_INDEX
// (auto|memory|disk, default auto) and HASTEWARD_INDEX_CACHE_DIR (default
// $XDG_CACHE_HOME/hasteward or ~/.cache/hasteward, then blob-index/<hash of location>). An
// unknown HASTEWARD_INDEX value is a usage error.
core::Result<IndexOptions> IndexOptionsFromEnvironment(const std::string& location);

}  // namespace hasteward::repo
