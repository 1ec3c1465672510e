#include "repo/restore/restore_work_queue.h"

#include <utility>

namespace hasteward::repo {

bool RestoreWorkQueue::Push(FileRestoreWork work) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return failed_ || pending_.size() < capacity_; });
  if (failed_)
    return false;
  pending_.push_back(std::move(work));
  changed_.notify_all();
  return true;
}

std::optional<FileRestoreWork> RestoreWorkQueue::Pop() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return failed_ || closed_ || !pending_.empty(); });
  if (failed_ || pending_.empty())
    return std::nullopt;
  FileRestoreWork work = std::move(pending_.front());
  pending_.pop_front();
  changed_.notify_all();
  return work;
}

void RestoreWorkQueue::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  changed_.notify_all();
}

void RestoreWorkQueue::Fail(core::Status status) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!failed_)
    error_ = std::move(status);
  failed_ = true;
  changed_.notify_all();
}

core::Status RestoreWorkQueue::error() {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

}  // namespace hasteward::repo
