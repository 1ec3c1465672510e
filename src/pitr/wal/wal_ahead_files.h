// pitr/wal/wal_ahead_files: the agent's side of wal-fetch's fill-ahead files. With each request
// for a segment, wal-fetch hands over descriptors of files it created (as the server's OS user) in
// the server's prefetch directory for the next segments; one writer thread fills each from the
// read-ahead as soon as that segment was read and checked. The server's call for such a segment
// then only asks "is the file for S complete?" and renames it, without a 16 MiB copy while the
// server waits. The agent never learns a path: a file is known by its descriptor, and a client's
// file is the registered one only when device and inode match (an inode cannot be reused while
// the agent holds it open).
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "core/fd.h"
#include "pitr/wal/wal_prefetch.h"
#include "repo/repository.h"

namespace hasteward::pitr {

// A file wal-fetch created for the segment `name`, handed over open for writing.
struct AheadFd {
  std::string name;
  core::UniqueFd fd;
};

// What a complete fill-ahead file holds.
struct AheadWritten {
  uint64_t size = 0;
  uint32_t crc32c = 0;  // of the bytes written: the read-ahead's, checked when handed out
};

// Writes `content` at offset 0 of a file a client handed over and truncates it to that size
// (kStorage when the server's disk refuses).
core::Status WriteFetchedFile(int fd, const core::Bytes& content);

// Owns the writer thread (joined by Stop or the destructor) and the descriptors. Thread-safe.
class AheadFiles {
 public:
  // The verified content of an archived file once it is read ahead (waiting while it is read);
  // nullopt when it is not held. Must return once the read-ahead is shut down.
  using TakeFn = std::function<std::optional<WalPrefetch::Held>(const std::string& name)>;
  explicit AheadFiles(TakeFn take);
  ~AheadFiles();
  AheadFiles(const AheadFiles&) = delete;
  AheadFiles& operator=(const AheadFiles&) = delete;

  // The server's new window, replacing the last one: a file already registered under the same
  // name (same device and inode) keeps its state, others are queued for writing in name order
  // (segment order). Registered files not in `files` are forgotten: the server moved on (another
  // timeline, a restart), and wal-fetch removes them from its directory.
  void Replace(std::vector<AheadFd> files);

  // When `fd` is the file registered for `name`: waits while it is written, then forgets it and
  // returns what it holds if it was written whole. nullopt when the file is unknown (another
  // agent, or one restarted since), another file, or its writing failed: the caller then writes
  // the segment into `fd` directly, so a partial or stale file is never taken as complete.
  std::optional<AheadWritten> Confirm(const std::string& name, int fd);

  // Names whose files are written whole: the server has them on disk, no need to read them again.
  std::set<std::string> Written() const;
  // Stops the writer after the file it writes (the TakeFn must return); idempotent.
  void Stop();

 private:
  enum class State { kPending, kWriting, kComplete, kFailed };
  struct Entry {
    core::UniqueFd fd;
    dev_t device = 0;
    ino_t inode = 0;
    State state = State::kPending;
    AheadWritten written;
  };

  void Write();
  // The first file waiting to be written (name order), or a null entry.
  std::pair<std::string, std::shared_ptr<Entry>> NextPending();

  TakeFn take_;
  mutable std::mutex mu_;
  std::condition_variable changed_;  // a file was queued, finished, or stop
  // Name order is segment order within a timeline: the replay's next segment is written first.
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace hasteward::pitr
