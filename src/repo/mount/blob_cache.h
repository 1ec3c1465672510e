// repo/mount/blob_cache: decrypted blobs kept in memory for a mounted snapshot, bounded in bytes
// and evicted least-recently-used, with background loads for readahead. It knows nothing of FUSE:
// the mount's file reads (SnapshotFileReader) ask it for blobs, and unit tests drive it directly.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/byte_stream.h"
#include "core/status.h"
#include "repo/crypto/crypto.h"

namespace hasteward::repo {

// Loads, decrypts and verifies one data blob (Repository::LoadBlob in production). Called from
// several threads at once.
using BlobLoader = std::function<core::Result<core::Bytes>(const Id&)>;
using SharedBlob = std::shared_ptr<const core::Bytes>;

struct BlobCacheOptions {
  // Bytes of plaintext the cache holds at most. A blob larger than the whole budget is handed to
  // its reader and not kept. Loads in flight (at most one per reader and prefetch thread) come on
  // top of it.
  size_t budget_bytes = size_t{256} * 1024 * 1024;
  int prefetch_threads = 4;
  // Readahead requests waiting for a prefetch thread; more are dropped (the reader then loads
  // the blob itself when it gets there).
  size_t max_queued_prefetches = 256;
};

struct BlobCacheStats {
  uint64_t loads = 0;              // loader calls (foreground and prefetch)
  uint64_t hits = 0;               // Get() answered from the cache or an earlier load in flight
  uint64_t prefetches = 0;         // loader calls made by the prefetch threads
  uint64_t prefetches_queued = 0;  // Prefetch() calls that queued a load
  uint64_t load_errors = 0;
  uint64_t evictions = 0;
  size_t bytes_held = 0;
  size_t max_bytes_held = 0;  // the most bytes held at any time
};

// Thread-safe. One load per blob at a time: a reader asking for a blob that is being loaded
// (by a prefetch or another reader) waits for that load instead of starting a second one. A
// failed load is never cached, so the next read retries it and reports its own error.
class BlobCache {
 public:
  BlobCache(BlobLoader loader, const BlobCacheOptions& options);
  // Stops the prefetch threads (a load in progress finishes first).
  ~BlobCache();
  BlobCache(const BlobCache&) = delete;
  BlobCache& operator=(const BlobCache&) = delete;

  // The blob's plaintext: from the cache, or loaded now. Errors are the loader's.
  core::Result<SharedBlob> Get(const Id& id);
  // Asks a prefetch thread to load the blob into the cache; a no-op when it is cached, loading or
  // already queued, and dropped when the queue is full. Never blocks on a load.
  void Prefetch(const Id& id);
  bool Contains(const Id& id) const;
  BlobCacheStats stats() const;

 private:
  struct Pending {
    bool done = false;
    core::Result<SharedBlob> result = core::Status(core::ErrorCode::kInternal, "not loaded");
  };
  struct Entry {
    SharedBlob blob;
    std::list<Id>::iterator position;
  };

  // Loads `id` (the caller registered it in pending_) and publishes the result.
  core::Result<SharedBlob> LoadAndPublish(const Id& id, const std::shared_ptr<Pending>& pending,
                                          bool prefetch);
  void Insert(const Id& id, const SharedBlob& blob);  // mu_ held
  void PrefetchLoop();

  BlobLoader loader_;
  BlobCacheOptions options_;
  mutable std::mutex mu_;
  std::condition_variable loaded_;
  std::condition_variable queued_;
  std::unordered_map<Id, Entry, IdHash> entries_;
  std::list<Id> lru_;  // most recently used first
  std::unordered_map<Id, std::shared_ptr<Pending>, IdHash> pending_;
  std::deque<Id> queue_;
  bool stopping_ = false;
  BlobCacheStats stats_;
  std::vector<std::thread> threads_;
};

}  // namespace hasteward::repo
