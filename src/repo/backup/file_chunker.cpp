#include "repo/backup/file_chunker.h"

#include <algorithm>
#include <string>

namespace hasteward::repo {

core::Status Chunking::Validate() const {
  if (kind == ChunkingKind::kContentDefined)
    return core::Status::Ok();
  if (block_size < kMinFixedBlock || block_size > Chunker::kMaxSize) {
    return core::Usage("fixed chunk size " + std::to_string(block_size) + " is out of range",
                       "use a block size between " + std::to_string(kMinFixedBlock) + " and " +
                           std::to_string(Chunker::kMaxSize) + " bytes (e.g. 8 KiB pages * N)");
  }
  return core::Status::Ok();
}

size_t Chunking::MaxChunkSize() const {
  return kind == ChunkingKind::kFixedSize ? block_size : Chunker::kMaxSize;
}

void FileChunker::Reset(const Chunking& chunking) {
  chunking_ = chunking;
  fixed_filled_ = 0;
  content_defined_.Reset();
}

size_t FileChunker::Scan(const uint8_t* data, size_t n, bool* cut) {
  if (chunking_.kind == ChunkingKind::kContentDefined)
    return content_defined_.Scan(data, n, cut);
  size_t used = std::min(n, chunking_.block_size - fixed_filled_);
  fixed_filled_ += used;
  *cut = fixed_filled_ == chunking_.block_size;
  if (*cut)
    fixed_filled_ = 0;
  return used;
}

}  // namespace hasteward::repo
