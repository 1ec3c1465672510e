#include "pitr/wal/wal_prefetch.h"

#include <algorithm>
#include <set>

#include "core/crc32c.h"
#include "core/log.h"
#include "pitr/wal/segment_sink.h"
#include "repo/restore/file_dumper.h"

namespace hasteward::pitr {

WalPrefetch::WalPrefetch(repo::Repository& repo, const WalPrefetchOptions& options)
    : repo_(repo), options_(options) {
  const int threads = std::max(options_.threads, 1);
  for (int i = 0; i < threads; ++i) {
    workers_.emplace_back([this] { Work(); });
  }
}

WalPrefetch::~WalPrefetch() {
  Shutdown();
  for (auto& worker : workers_) {
    worker.join();
  }
}

void WalPrefetch::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_ready_.notify_all();
  fetched_.notify_all();
}

void WalPrefetch::Want(const std::vector<catalog::ArchivedFile>& files) {
  std::set<std::string> wanted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.clear();
    for (const auto& file : files) {
      wanted.insert(file.file.name);
      if (!entries_.contains(file.file.name)) {
        queue_.push_back(file);
      }
    }
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->second.state != State::kInFlight && !wanted.contains(it->first)) {
        reserved_bytes_ -= it->second.state == State::kHeld ? it->second.size : 0;
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }
  work_ready_.notify_all();
  fetched_.notify_all();  // a TakeWhenFetched waiting for a file no longer queued returns
}

std::optional<WalPrefetch::Held> WalPrefetch::Take(const std::string& name) {
  std::unique_lock<std::mutex> lock(mu_);
  // Queued but not started: the caller fetches it now, and no worker should fetch it again.
  if (std::erase_if(queue_, [&](const catalog::ArchivedFile& f) { return f.file.name == name; }) >
      0) {
    fetched_.notify_all();  // a TakeWhenFetched of it stops waiting for a worker
  }
  return TakeFrom(lock, name);
}

std::optional<WalPrefetch::Held> WalPrefetch::TakeWhenFetched(const std::string& name) {
  std::unique_lock<std::mutex> lock(mu_);
  fetched_.wait(lock, [&] {
    return stop_ || std::none_of(queue_.begin(), queue_.end(), [&](const catalog::ArchivedFile& f) {
             return f.file.name == name;
           });
  });
  return TakeFrom(lock, name);
}

std::optional<WalPrefetch::Held> WalPrefetch::TakeFrom(std::unique_lock<std::mutex>& lock,
                                                       const std::string& name) {
  Entry taken;
  fetched_.wait(lock, [&] {
    auto it = entries_.find(name);
    return stop_ || it == entries_.end() || it->second.state != State::kInFlight;
  });
  auto it = entries_.find(name);
  if (it == entries_.end() || it->second.state == State::kInFlight) {
    return std::nullopt;
  }
  taken = std::move(it->second);
  entries_.erase(it);
  if (taken.state == State::kHeld) {
    reserved_bytes_ -= taken.size;
  }
  lock.unlock();
  work_ready_.notify_all();
  if (taken.state != State::kHeld) {
    return std::nullopt;
  }
  if (taken.bytes.size() != taken.size || core::Crc32c(taken.bytes) != taken.crc32c) {
    core::LogWarn("prefetched '" + name +
                  "' no longer matches the hash taken when it was fetched; fetching it again");
    return std::nullopt;
  }
  return Held{std::move(taken.bytes), taken.crc32c};
}

void WalPrefetch::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_ready_.wait(lock, [&] {
      return stop_ || (!queue_.empty() &&
                       (reserved_bytes_ == 0 ||
                        reserved_bytes_ + queue_.front().node.size <= options_.budget_bytes));
    });
    if (stop_) {
      return;
    }
    catalog::ArchivedFile file = std::move(queue_.front());
    queue_.pop_front();
    entries_[file.file.name] = Entry{State::kInFlight, file.node.size, {}, {}};
    reserved_bytes_ += file.node.size;
    lock.unlock();
    SegmentSink sink(file.node.size);
    // DumpFile checks every blob against its ID: the bytes are the archived file's.
    repo::DumpOptions dump;
    // One file per worker at a time, read in order: the workers are the parallelism, and on a
    // busy machine more threads would only take the CPU from the request being served.
    dump.threads = 1;
    auto dumped = repo::DumpFile(repo_, file.node, sink, dump);
    core::Result<core::Bytes> content =
        dumped.ok() ? core::Result<core::Bytes>(sink.Take()) : dumped.TakeStatus();
    Fetched(file.file.name, std::move(content));
    lock.lock();
  }
}

void WalPrefetch::Fetched(const std::string& name, core::Result<core::Bytes> content) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& entry = entries_[name];
    if (content.ok() && content->size() == entry.size) {
      entry.crc32c = core::Crc32c(*content);
      entry.bytes = std::move(*content);
      entry.state = State::kHeld;
    } else {
      core::LogWarn(
          "prefetching '" + name + "' failed: " +
          (content.ok() ? "its size differs from the archive's" : content.status().message()));
      reserved_bytes_ -= entry.size;
      entry.state = State::kFailed;
    }
  }
  fetched_.notify_all();
  work_ready_.notify_all();
}

size_t WalPrefetch::HeldForTest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::count_if(entries_.begin(), entries_.end(),
                       [](const auto& entry) { return entry.second.state == State::kHeld; });
}

bool WalPrefetch::CorruptHeldForTest(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end() || it->second.state != State::kHeld || it->second.bytes.empty()) {
    return false;
  }
  it->second.bytes[it->second.bytes.size() / 2] ^= 0xff;
  return true;
}

}  // namespace hasteward::pitr
