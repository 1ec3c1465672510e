#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "core/byte_stream.h"
#include "core/page_buffer.h"

namespace hasteward::repo {

// One chunk of the input: its position in its file, and which file (a snapshot writer numbers
// the files it adds).
struct Chunk {
  uint64_t seq = 0;
  core::PageBuffer data;
  size_t file = 0;
};

// A bounded multi-consumer queue of chunks, bounded by total bytes so memory stays fixed whatever
// the chunk sizes. Close() wakes everybody; Abort() drops queued work.
class ChunkQueue {
 public:
  explicit ChunkQueue(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Blocks while the queue is over budget. Returns false when aborted.
  bool Push(Chunk&& c);
  // Blocks until a chunk is available; nullopt when closed and drained, or aborted.
  std::optional<Chunk> Pop();
  void Close();
  void Abort();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> q_;
  size_t bytes_ = 0;
  size_t max_bytes_;
  bool closed_ = false;
  bool aborted_ = false;
};

}  // namespace hasteward::repo
