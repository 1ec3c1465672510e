// pitr/wal/wal_prefetch: archived WAL files fetched ahead into memory by a few threads, so a
// server replaying the archive finds the next segment already read, decrypted and checked while
// it applies the current one. Memory is bounded by a byte budget, never by the archive's size.
// A file is handed out only when its bytes still have the CRC-32C taken when they were assembled
// from the repository's verified blobs (each checked against its SHA-256 ID); anything else (not
// wanted, failed, changed) is "not held" and the caller fetches it directly, so the prefetch can
// only save time, never change content.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "catalog/wal/wal_catalog.h"
#include "core/byte_stream.h"
#include "repo/repository.h"

namespace hasteward::pitr {

struct WalPrefetchOptions {
  // Why 4 segments on 2 threads: memory the read-ahead lets go of and maps again costs a page
  // fault per 4 KiB (90 ms per 16 MiB on the machine this was measured on, against 1 ms for pages
  // still mapped: bench/memory_warmth.cpp). 16 segments on 4 threads kept about 2,250 fresh pages
  // coming per segment (the per-thread heaps grew and were handed back) and the agent spent
  // ~200 ms of CPU per fetched segment; 4 on 2 threads, ~75 ms (docs/performance.md).
  size_t depth = 4;  // segments fetched ahead of the one the server asked for
  int threads = 2;   // files fetched at once
  // Bytes held or being fetched at most (4 segments of 16 MiB); one file larger than the budget
  // is still fetched, alone.
  size_t budget_bytes = size_t{64} * 1024 * 1024;
};

// Owns its worker threads (joined on destruction). Thread-safe. The repository's index must be
// loaded and stay so; the repository must outlive this object.
class WalPrefetch {
 public:
  WalPrefetch(repo::Repository& repo, const WalPrefetchOptions& options);
  ~WalPrefetch();
  WalPrefetch(const WalPrefetch&) = delete;
  WalPrefetch& operator=(const WalPrefetch&) = delete;

  // What to fetch ahead, in this order. Files held or in flight stay; held files not listed are
  // dropped (the server went elsewhere: a new timeline, a restart), so memory follows the replay.
  void Want(const std::vector<catalog::ArchivedFile>& files);

  struct Held {
    core::Bytes bytes;
    // Of `bytes`, checked by Take. A CRC, not a second SHA-256: the content was verified blob by
    // blob when read, and this only has to catch a change in memory since; two more SHA-256
    // passes over 16 MiB were a quarter of the agent's CPU per served segment.
    uint32_t crc32c = 0;
  };
  // The content of `name` when it was fetched ahead (waits while its fetch runs), removed from the
  // prefetch. nullopt when it was not wanted, its fetch failed, or its bytes no longer hash to the
  // value taken from the repository's verified blobs.
  std::optional<Held> Take(const std::string& name);
  // As Take, but a file still queued is waited for rather than left to the caller: the agent's
  // writer of fill-ahead files (wal_ahead_files.h) wants each wanted file once it is read.
  std::optional<Held> TakeWhenFetched(const std::string& name);
  // Wakes every waiter (they get nullopt) and stops the workers; idempotent. The destructor calls
  // it; an owner whose threads wait in Take calls it before joining them.
  void Shutdown();

  // Files held in memory now (tests).
  size_t HeldForTest() const;
  // Flips one byte of a held file's content, as a memory error would (tests of the hash check).
  bool CorruptHeldForTest(const std::string& name);

 private:
  enum class State { kInFlight, kHeld, kFailed };
  struct Entry {
    State state = State::kInFlight;
    uint64_t size = 0;
    core::Bytes bytes;
    uint32_t crc32c = 0;
  };

  std::optional<Held> TakeFrom(std::unique_lock<std::mutex>& lock, const std::string& name);
  void Work();
  void Fetched(const std::string& name, core::Result<core::Bytes> content);

  repo::Repository& repo_;
  const WalPrefetchOptions options_;
  mutable std::mutex mu_;
  std::condition_variable work_ready_;  // a queued file fits the budget, or stop
  std::condition_variable fetched_;     // an in-flight file finished
  std::deque<catalog::ArchivedFile> queue_;
  std::map<std::string, Entry> entries_;
  size_t reserved_bytes_ = 0;  // sizes of the files held and in flight
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace hasteward::pitr
