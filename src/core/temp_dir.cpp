#include "core/temp_dir.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/process_info.h"

namespace hasteward::core {

namespace {

std::string BaseDir(const std::string& parent) {
  if (!parent.empty()) {
    return parent;
  }
  const char* env = std::getenv("TMPDIR");
  return (env != nullptr && *env != '\0') ? env : "/tmp";
}

// The pid in "<prefix><pid>-XXXXXX", or 0 when `name` is not such a name.
pid_t OwnerPid(const std::string& name, const std::string& prefix) {
  if (name.compare(0, prefix.size(), prefix) != 0) {
    return 0;
  }
  size_t dash = name.find('-', prefix.size());
  if (dash == std::string::npos || dash == prefix.size() || dash - prefix.size() > 9) {
    return 0;
  }
  pid_t pid = 0;
  for (size_t at = prefix.size(); at < dash; ++at) {
    if (name[at] < '0' || name[at] > '9') {
      return 0;
    }
    pid = pid * 10 + (name[at] - '0');
  }
  return pid;
}

}  // namespace

Result<TempDir> TempDir::CreateOwned(const std::string& prefix, const std::string& parent) {
  SweepAbandonedTempDirs(prefix, parent);
  return Create(prefix + std::to_string(::getpid()) + "-", parent);
}

int SweepAbandonedTempDirs(const std::string& prefix, const std::string& parent) {
  std::string base = BaseDir(parent);
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(base.c_str()), ::closedir);
  if (!dir) {
    return 0;
  }
  std::vector<std::string> abandoned;
  const std::string directory = base + "/";
  while (const struct dirent* entry = ::readdir(dir.get())) {
    std::string name = entry->d_name;
    pid_t owner = OwnerPid(name, prefix);
    if (owner <= 0 || ProcessAlive(owner)) {
      continue;
    }
    struct stat info {};
    std::string path = directory + name;
    // Why lstat and the owner check: /tmp is shared; never follow a link planted there, and
    // never touch another user's directory.
    if (::lstat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode) && info.st_uid == ::geteuid()) {
      abandoned.push_back(path);
    }
  }
  int removed = 0;
  for (const auto& path : abandoned) {
    removed += RemoveAll(path).ok() ? 1 : 0;
  }
  return removed;
}

Result<TempDir> TempDir::Create(const std::string& prefix, const std::string& parent) {
  std::string base = BaseDir(parent);
  std::string tmpl = base + "/" + prefix + "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    return ErrnoStatus("create temporary directory under '" + base + "'", errno);
  }
  return TempDir(std::string(buf.data()));
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    (void)RemoveAll(path_);
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    (void)RemoveAll(path_);
  }
}

Status RemoveAll(const std::string& path) {
  if (path.empty()) {
    return Status::Ok();
  }
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) {
    return StorageError("remove '" + path + "': " + ec.message());
  }
  return Status::Ok();
}

Status MakeDirs(const std::string& path, unsigned mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return StorageError("create directory '" + path + "': " + ec.message());
  }
  std::filesystem::permissions(path, static_cast<std::filesystem::perms>(mode), ec);
  return Status::Ok();
}

}  // namespace hasteward::core
