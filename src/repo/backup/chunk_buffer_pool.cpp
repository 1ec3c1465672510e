#include "repo/backup/chunk_buffer_pool.h"

namespace hasteward::repo {

core::Result<core::PageBuffer> ChunkBufferPool::Take(size_t capacity) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = free_.size(); i-- > 0;) {
      if (free_[i].capacity() >= capacity) {
        core::PageBuffer buffer = std::move(free_[i]);
        free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(i));
        free_touched_ -= buffer.touched();
        return buffer;
      }
    }
  }
  // Each buffer has room for the largest chunk of its file (address space only), so a chunk is
  // appended once and never moved.
  return core::PageBuffer::Create(capacity);
}

void ChunkBufferPool::Return(core::PageBuffer&& buffer) {
  buffer.Clear();
  buffer.Trim(limits_.keep_per_buffer);
  std::lock_guard<std::mutex> lock(mu_);
  if (free_touched_ + buffer.touched() <= limits_.free_budget) {
    free_touched_ += buffer.touched();
    free_.push_back(std::move(buffer));
  }
}

size_t ChunkBufferPool::kept_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return free_touched_;
}

}  // namespace hasteward::repo
