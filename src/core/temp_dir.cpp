#include "core/temp_dir.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include "core/fd.h"

namespace hasteward::core {

Result<TempDir> TempDir::Create(const std::string& prefix, const std::string& parent) {
  std::string base = parent;
  if (base.empty()) {
    const char* env = std::getenv("TMPDIR");
    base = (env != nullptr && *env != '\0') ? env : "/tmp";
  }
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
