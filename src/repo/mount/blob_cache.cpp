#include "repo/mount/blob_cache.h"

#include <algorithm>

namespace hasteward::repo {

BlobCache::BlobCache(BlobLoader loader, const BlobCacheOptions& options)
    : loader_(std::move(loader)), options_(options) {
  threads_.reserve(static_cast<size_t>(std::max(0, options_.prefetch_threads)));
  for (int t = 0; t < options_.prefetch_threads; ++t)
    threads_.emplace_back([this] { PrefetchLoop(); });
}

BlobCache::~BlobCache() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  queued_.notify_all();
  for (auto& t : threads_)
    t.join();
}

core::Result<SharedBlob> BlobCache::Get(const Id& id) {
  std::shared_ptr<Pending> pending;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (auto it = entries_.find(id); it != entries_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.position);
      ++stats_.hits;
      return it->second.blob;
    }
    if (auto it = pending_.find(id); it != pending_.end()) {
      // Someone (often readahead) is loading it: wait for that load rather than read it twice.
      std::shared_ptr<Pending> other = it->second;
      loaded_.wait(lock, [&] { return other->done; });
      ++stats_.hits;
      return other->result;
    }
    pending = std::make_shared<Pending>();
    pending_.emplace(id, pending);
  }
  return LoadAndPublish(id, pending, false);
}

core::Result<SharedBlob> BlobCache::LoadAndPublish(const Id& id,
                                                   const std::shared_ptr<Pending>& pending,
                                                   bool prefetch) {
  core::Result<core::Bytes> loaded = loader_(id);
  core::Result<SharedBlob> result = loaded.status();
  if (loaded.ok())
    result = SharedBlob(std::make_shared<const core::Bytes>(std::move(loaded).value()));
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.loads;
    if (prefetch)
      ++stats_.prefetches;
    if (result.ok()) {
      Insert(id, *result);
    } else {
      ++stats_.load_errors;
    }
    pending->result = result;
    pending->done = true;
    pending_.erase(id);
  }
  loaded_.notify_all();
  return result;
}

void BlobCache::Insert(const Id& id, const SharedBlob& blob) {
  if (blob->size() > options_.budget_bytes || entries_.count(id) != 0)
    return;
  // Evict before inserting, so the budget holds at every moment, not only between calls.
  while (stats_.bytes_held + blob->size() > options_.budget_bytes && !lru_.empty()) {
    auto victim = entries_.find(lru_.back());
    stats_.bytes_held -= victim->second.blob->size();
    entries_.erase(victim);
    lru_.pop_back();
    ++stats_.evictions;
  }
  lru_.push_front(id);
  entries_.emplace(id, Entry{blob, lru_.begin()});
  stats_.bytes_held += blob->size();
  stats_.max_bytes_held = std::max(stats_.max_bytes_held, stats_.bytes_held);
}

void BlobCache::Prefetch(const Id& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || threads_.empty() || entries_.count(id) != 0 || pending_.count(id) != 0 ||
        queue_.size() >= options_.max_queued_prefetches ||
        std::find(queue_.begin(), queue_.end(), id) != queue_.end()) {
      return;
    }
    queue_.push_back(id);
    ++stats_.prefetches_queued;
  }
  queued_.notify_one();
}

void BlobCache::PrefetchLoop() {
  while (true) {
    Id id{};
    std::shared_ptr<Pending> pending;
    {
      std::unique_lock<std::mutex> lock(mu_);
      queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_)
        return;
      id = queue_.front();
      queue_.pop_front();
      // Read meanwhile by a reader, or being read by one: nothing left to do ahead of it.
      if (entries_.count(id) != 0 || pending_.count(id) != 0)
        continue;
      pending = std::make_shared<Pending>();
      pending_.emplace(id, pending);
    }
    // A failed prefetch is only counted: the reader that reaches this blob loads it again and
    // gets its own error (EIO), so a transient failure ahead of the reader costs nothing.
    (void)LoadAndPublish(id, pending, true);
  }
}

bool BlobCache::Contains(const Id& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.count(id) != 0;
}

BlobCacheStats BlobCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace hasteward::repo
