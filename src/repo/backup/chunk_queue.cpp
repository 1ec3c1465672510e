#include "repo/backup/chunk_queue.h"

namespace hasteward::repo {

bool ChunkQueue::Push(Chunk&& c) {
  std::unique_lock<std::mutex> lock(mu_);
  // A chunk larger than the budget still goes in when the queue is empty.
  cv_.wait(lock, [&] { return aborted_ || q_.empty() || bytes_ + c.data.size() <= max_bytes_; });
  if (aborted_)
    return false;
  bytes_ += c.data.size();
  q_.push_back(std::move(c));
  cv_.notify_all();
  return true;
}

std::optional<Chunk> ChunkQueue::Pop() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return aborted_ || closed_ || !q_.empty(); });
  if (aborted_ || q_.empty())
    return std::nullopt;
  Chunk c = std::move(q_.front());
  q_.pop_front();
  bytes_ -= c.data.size();
  cv_.notify_all();
  return c;
}

void ChunkQueue::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

void ChunkQueue::Abort() {
  std::lock_guard<std::mutex> lock(mu_);
  aborted_ = true;
  q_.clear();
  bytes_ = 0;
  cv_.notify_all();
}

}  // namespace hasteward::repo
