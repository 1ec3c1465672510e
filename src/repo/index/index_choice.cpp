#include "repo/index/index_choice.h"

namespace hasteward::repo {

bool WantsDiskIndex(const IndexOptions& options,
                    const std::vector<storage::FileInfo>& index_files) {
  if (options.cache_dir.empty() || options.mode == IndexMode::kMemory) {
    return false;
  }
  uint64_t bytes = 0;
  for (const auto& file : index_files) {
    bytes += file.size;
  }
  return options.mode == IndexMode::kDisk || bytes > options.disk_threshold_bytes;
}

}  // namespace hasteward::repo
