#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "core/status.h"
#include "repo/snapshot/snapshot.h"

namespace hasteward::repo {

// One file of a tree restore: its node and where it goes.
struct FileRestoreWork {
  Node node;
  std::string path;
};

// Hands the files a tree walk finds to the restore workers, bounded in count so that a snapshot
// of a million files does not hold a million nodes at once. The first failure stops both sides:
// the walker's Push and the workers' Pop return at once, and error() keeps that first cause.
class RestoreWorkQueue {
 public:
  explicit RestoreWorkQueue(size_t capacity) : capacity_(capacity) {}

  // Blocks while the queue is full; false once the restore has failed.
  bool Push(FileRestoreWork work);
  // The next file, or nullopt when the walk is closed and drained, or the restore failed.
  std::optional<FileRestoreWork> Pop();
  // The walk found every file.
  void Close();
  void Fail(core::Status status);
  core::Status error();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<FileRestoreWork> pending_;
  size_t capacity_;
  bool closed_ = false;
  bool failed_ = false;
  core::Status error_;
};

}  // namespace hasteward::repo
