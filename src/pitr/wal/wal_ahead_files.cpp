#include "pitr/wal/wal_ahead_files.h"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

namespace hasteward::pitr {

namespace {

struct FileId {
  dev_t device = 0;
  ino_t inode = 0;
};

std::optional<FileId> Identify(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return std::nullopt;
  }
  return FileId{st.st_dev, st.st_ino};
}

}  // namespace

core::Status WriteFetchedFile(int fd, const core::Bytes& content) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t wrote =
        ::pwrite(fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
    if (wrote < 0 && errno == EINTR) {
      continue;
    }
    if (wrote <= 0) {
      return core::Status(core::ErrorCode::kStorage,
                          std::string("writing the fetched file failed: ") + std::strerror(errno),
                          "check the space and permissions of the server's pg_wal");
    }
    done += static_cast<size_t>(wrote);
  }
  if (::ftruncate(fd, static_cast<off_t>(content.size())) != 0) {
    return core::Status(core::ErrorCode::kStorage,
                        std::string("truncating the fetched file failed: ") + std::strerror(errno),
                        "check the space of the server's pg_wal");
  }
  return core::Status::Ok();
}

AheadFiles::AheadFiles(TakeFn take) : take_(std::move(take)) {
  writer_ = std::thread([this] { Write(); });
}

AheadFiles::~AheadFiles() {
  Stop();
}

void AheadFiles::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  if (writer_.joinable()) {
    writer_.join();
  }
}

void AheadFiles::Replace(std::vector<AheadFd> files) {
  std::map<std::string, std::shared_ptr<Entry>> next;
  std::unique_lock<std::mutex> lock(mu_);
  for (AheadFd& file : files) {
    std::optional<FileId> id = Identify(file.fd.get());
    if (!id || next.contains(file.name)) {
      continue;  // not a file we can recognise again: the call for it fetches directly
    }
    auto known = entries_.find(file.name);
    if (known != entries_.end() && known->second->device == id->device &&
        known->second->inode == id->inode) {
      next[file.name] = known->second;  // the same file: keep what was written into it
      continue;
    }
    auto entry = std::make_shared<Entry>();
    entry->fd = std::move(file.fd);
    entry->device = id->device;
    entry->inode = id->inode;
    next[file.name] = std::move(entry);
  }
  // A file being written when it was forgotten finishes into its own Entry, which goes with it.
  entries_ = std::move(next);
  lock.unlock();
  changed_.notify_all();
}

std::optional<AheadWritten> AheadFiles::Confirm(const std::string& name, int fd) {
  std::optional<FileId> id = Identify(fd);
  std::unique_lock<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (!id || it == entries_.end() || it->second->device != id->device ||
      it->second->inode != id->inode) {
    return std::nullopt;
  }
  std::shared_ptr<Entry> entry = it->second;
  changed_.wait(lock, [&] {
    return stop_ || entry->state == State::kComplete || entry->state == State::kFailed;
  });
  // Forgotten either way: the caller renames it (complete) or writes it itself.
  if (auto again = entries_.find(name); again != entries_.end() && again->second == entry) {
    entries_.erase(again);
  }
  if (entry->state != State::kComplete) {
    return std::nullopt;
  }
  return entry->written;
}

std::set<std::string> AheadFiles::Written() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> written;
  for (const auto& [name, entry] : entries_) {
    if (entry->state == State::kComplete) {
      written.insert(name);
    }
  }
  return written;
}

std::pair<std::string, std::shared_ptr<AheadFiles::Entry>> AheadFiles::NextPending() {
  for (auto& [name, entry] : entries_) {
    if (entry->state == State::kPending) {
      return {name, entry};
    }
  }
  return {"", nullptr};
}

void AheadFiles::Write() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [&] { return stop_ || NextPending().second != nullptr; });
    if (stop_) {
      return;
    }
    auto [name, entry] = NextPending();
    entry->state = State::kWriting;
    lock.unlock();
    // The read-ahead hands out bytes only when they still hash to what was computed from the
    // repository's verified blobs; the file is "complete" only after every byte was written.
    std::optional<WalPrefetch::Held> held = take_(name);
    core::Status written = held ? WriteFetchedFile(entry->fd.get(), held->bytes)
                                : core::Status(core::ErrorCode::kStorage, "not read ahead");
    if (!written.ok()) {
      core::LogDebug("fill-ahead file for '" + name + "' not written: " + written.message());
    }
    lock.lock();
    if (written.ok()) {
      entry->written = AheadWritten{held->bytes.size(), held->crc32c};
      entry->state = State::kComplete;
    } else {
      entry->state = State::kFailed;
    }
    changed_.notify_all();
  }
}

}  // namespace hasteward::pitr
