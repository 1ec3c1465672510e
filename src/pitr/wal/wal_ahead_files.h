// pitr/wal/wal_ahead_files: the agent's side of wal-fetch's fill-ahead files. With each request
// for a segment, wal-fetch hands over descriptors of files it created (as the server's OS user) in
// the server's prefetch directory for the next segments; a few writer threads fill them in segment
// order, each straight from the repository (fetched_file.h). The server's call for such a segment
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

#include "catalog/wal/wal_catalog.h"
#include "core/fd.h"
#include "core/status.h"
#include "pitr/wal/fetched_file.h"

namespace hasteward::pitr {

// A file wal-fetch created for the segment `name`, handed over open for writing.
struct AheadFd {
  std::string name;
  core::UniqueFd fd;
};

// A fill-ahead file handed over, with the archived file it is for (as the catalog said when the
// window was registered: the writers never read the catalog, which the request thread reloads).
struct AheadFile {
  catalog::ArchivedFile archived;
  core::UniqueFd fd;
};

// Owns the writer threads (joined by Stop or the destructor) and the descriptors. Thread-safe.
class AheadFiles {
 public:
  // Writes the archived file's verified content into `fd` whole, or fails; runs on a writer
  // thread, several at once. Must return once the owner shuts down what it waits for.
  using FillFn =
      std::function<core::Result<WrittenFile>(const catalog::ArchivedFile& archived, int fd)>;
  // Why 2 writers: one fill is a pipeline of two threads (read and decrypt, then write), and the
  // server's own fetch calls need the rest of a small machine's CPU.
  static constexpr int kDefaultWriters = 2;
  explicit AheadFiles(FillFn fill, int writers = kDefaultWriters);
  ~AheadFiles();
  AheadFiles(const AheadFiles&) = delete;
  AheadFiles& operator=(const AheadFiles&) = delete;

  // The server's new window, replacing the last one: a file already registered under the same
  // name (same device and inode) keeps its state, others are queued for writing in name order
  // (segment order). Registered files not in `files` are forgotten: the server moved on (another
  // timeline, a restart), and wal-fetch removes them from its directory.
  void Replace(std::vector<AheadFile> files);

  // When `fd` is the file registered for `name`: waits while it is written, then forgets it and
  // returns what it holds if it was written whole. nullopt when the file is unknown (another
  // agent, or one restarted since), another file, or its writing failed: the caller then writes
  // the segment into `fd` directly, so a partial or stale file is never taken as complete.
  std::optional<WrittenFile> Confirm(const std::string& name, int fd);

  // Names whose files are written whole, being written or waiting for a writer: the server will
  // have them on disk, no need to read them ahead into memory as well.
  std::set<std::string> Registered() const;
  // Stops the writers after the files they write (the FillFn must return); idempotent.
  void Stop();

 private:
  enum class State { kPending, kWriting, kComplete, kFailed };
  struct Entry {
    catalog::ArchivedFile archived;
    core::UniqueFd fd;
    dev_t device = 0;
    ino_t inode = 0;
    State state = State::kPending;
    WrittenFile written;
  };

  void Write();
  // The first file waiting to be written (name order), or a null entry.
  std::pair<std::string, std::shared_ptr<Entry>> NextPending();

  FillFn fill_;
  mutable std::mutex mu_;
  std::condition_variable changed_;  // a file was queued, finished, or stop
  // Name order is segment order within a timeline: the replay's next segment is written first.
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  bool stop_ = false;
  std::vector<std::thread> writers_;
};

}  // namespace hasteward::pitr
