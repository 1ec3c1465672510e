#include "pitr/wal/wal_ahead_files.h"

#include <algorithm>

#include <sys/stat.h>

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

AheadFiles::AheadFiles(FillFn fill, int writers) : fill_(std::move(fill)) {
  for (int i = 0; i < std::max(writers, 1); ++i) {
    writers_.emplace_back([this] { Write(); });
  }
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
  for (auto& writer : writers_) {
    if (writer.joinable()) {
      writer.join();
    }
  }
}

void AheadFiles::Replace(std::vector<AheadFile> files) {
  std::map<std::string, std::shared_ptr<Entry>> next;
  std::unique_lock<std::mutex> lock(mu_);
  for (AheadFile& file : files) {
    const std::string& name = file.archived.file.name;
    std::optional<FileId> id = Identify(file.fd.get());
    if (!id || next.contains(name)) {
      continue;  // not a file we can recognise again: the call for it fetches directly
    }
    auto known = entries_.find(name);
    if (known != entries_.end() && known->second->device == id->device &&
        known->second->inode == id->inode) {
      next[name] = known->second;  // the same file: keep what was written into it
      continue;
    }
    auto entry = std::make_shared<Entry>();
    entry->archived = std::move(file.archived);
    entry->fd = std::move(file.fd);
    entry->device = id->device;
    entry->inode = id->inode;
    next[entry->archived.file.name] = std::move(entry);
  }
  // A file being written when it was forgotten finishes into its own Entry, which goes with it.
  entries_ = std::move(next);
  lock.unlock();
  changed_.notify_all();
}

std::optional<WrittenFile> AheadFiles::Confirm(const std::string& name, int fd) {
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

std::set<std::string> AheadFiles::Registered() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> registered;
  for (const auto& [name, entry] : entries_) {
    if (entry->state != State::kFailed) {
      registered.insert(name);
    }
  }
  return registered;
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
    // The file is "complete" only after every byte of verified content was written into it.
    core::Result<WrittenFile> written = fill_(entry->archived, entry->fd.get());
    if (!written.ok()) {
      core::LogDebug("fill-ahead file for '" + name +
                     "' not written: " + written.status().message());
    }
    lock.lock();
    if (written.ok()) {
      entry->written = *written;
      entry->state = State::kComplete;
    } else {
      entry->state = State::kFailed;
    }
    changed_.notify_all();
  }
}

}  // namespace hasteward::pitr
