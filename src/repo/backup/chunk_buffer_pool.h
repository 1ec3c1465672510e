// Chunk buffers recycled between a backup's reading thread and its encoding workers, and, when a
// caller keeps the pool, between one snapshot writer and the next. A fresh buffer costs a page
// fault per 4 KiB the first time it is written; on the virtual machines this runs on that is about
// 5 ms per MiB, more than compressing and encrypting the same MiB. A process that writes many small
// snapshots (the WAL agent: one per segment) keeps one pool for its lifetime so each segment's
// chunks land in pages that are already mapped.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include "core/page_buffer.h"
#include "core/status.h"

namespace hasteward::repo {

// How much a pool keeps mapped: resident memory stays near the queued bytes plus free_budget,
// whatever the chunk sizes.
struct ChunkBufferLimits {
  // A returned buffer keeps at most this many bytes mapped (the rest goes back to the system).
  size_t keep_per_buffer = size_t{3} * 1024 * 1024;
  // Returned buffers are kept only while their mapped pages stay under this.
  size_t free_budget = size_t{8} * 1024 * 1024;
};

// Thread-safe.
class ChunkBufferPool {
 public:
  explicit ChunkBufferPool(ChunkBufferLimits limits = {}) : limits_(limits) {}
  ChunkBufferPool(const ChunkBufferPool&) = delete;
  ChunkBufferPool& operator=(const ChunkBufferPool&) = delete;

  // A buffer able to hold `capacity` bytes: a kept one when one is large enough, else a new one.
  core::Result<core::PageBuffer> Take(size_t capacity);
  // Clears `buffer` and keeps it within the limits (or lets it go).
  void Return(core::PageBuffer&& buffer);
  // Bytes of kept buffers that may be resident.
  size_t kept_bytes() const;

 private:
  const ChunkBufferLimits limits_;
  mutable std::mutex mu_;  // free_, free_touched_
  std::vector<core::PageBuffer> free_;
  size_t free_touched_ = 0;
};

}  // namespace hasteward::repo
