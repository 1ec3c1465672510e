#include "pitr/wal/wal_ahead_dir.h"

#include <cerrno>
#include <filesystem>
#include <set>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hasteward::pitr {

namespace {

constexpr std::string_view kAheadSuffix = ".hasteward-ahead";

// Every fill-ahead file of `dir` not in `keep`: the server moved past it or to another timeline,
// or a crashed call left it. Other files (the prefetch of wal-fetch without an agent) stay.
void RemoveOthers(const std::string& dir, const std::set<std::string>& keep) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string file = entry.path().filename().string();
    if (!file.ends_with(kAheadSuffix)) {
      continue;
    }
    if (!keep.contains(file.substr(0, file.size() - kAheadSuffix.size()))) {
      ::unlink(entry.path().c_str());
    }
  }
}

core::Result<core::UniqueFd> OpenSlot(const std::string& path, bool create) {
  // O_NOFOLLOW: the directory is the server's, but a link planted there must not redirect writes.
  const int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0);
  core::UniqueFd fd(::open(path.c_str(), flags, 0600));
  if (!fd.valid()) {
    const int err = errno;
    return err == ENOENT ? core::NotFound("no file '" + path + "'")
                         : core::ErrnoStatus("open '" + path + "'", err);
  }
  return fd;
}

}  // namespace

std::string AheadPath(const std::string& dir, const std::string& name) {
  return dir + "/" + name + std::string(kAheadSuffix);
}

core::Result<AheadWindow> OpenAheadWindow(const engine::Archiving& archiving,
                                          const engine::ArchiveFile& file,
                                          const std::string& destination, size_t depth) {
  const std::string dir = archiving.PrefetchDir(destination);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return core::ErrnoStatus("create '" + dir + "'", errno);
  }
  AheadWindow window;
  std::set<std::string> keep = {file.name};
  for (uint64_t next = 1; next <= depth; ++next) {
    keep.insert(archiving.SegmentFileName(file.timeline, file.segment + next));
  }
  RemoveOthers(dir, keep);
  auto current = OpenSlot(AheadPath(dir, file.name), false);
  if (current.ok()) {
    window.current = AheadSlot{file.name, AheadPath(dir, file.name), std::move(*current)};
  } else if (current.status().code() != core::ErrorCode::kNotFound) {
    // There but not ours to open: never renamed into place, the agent writes %p's temp file.
    ::unlink(AheadPath(dir, file.name).c_str());
  }
  for (uint64_t next = 1; next <= depth; ++next) {
    const std::string name = archiving.SegmentFileName(file.timeline, file.segment + next);
    HS_ASSIGN_OR_RETURN(core::UniqueFd fd, OpenSlot(AheadPath(dir, name), true));
    window.next.push_back(AheadSlot{name, AheadPath(dir, name), std::move(fd)});
  }
  return window;
}

void RemoveAheadFiles(const std::string& dir, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    ::unlink(AheadPath(dir, name).c_str());
  }
}

}  // namespace hasteward::pitr
