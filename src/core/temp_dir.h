#pragma once

#include <string>

#include "core/status.h"

namespace hasteward::core {

// A directory created with mkdtemp and removed recursively on destruction (unless Keep()).
class TempDir {
 public:
  // `parent` defaults to $TMPDIR or /tmp; `prefix` names the owner ("hasteward-verify-").
  static Result<TempDir> Create(const std::string& prefix = "hasteward-",
                                const std::string& parent = "");
  // As Create, for a directory that holds data (binlog pieces): its name carries this process's
  // pid ("<prefix><pid>-XXXXXX"), and the directories of the same prefix left by processes that
  // died without cleaning up (kill -9) are removed first, so a killed run's data does not stay.
  static Result<TempDir> CreateOwned(const std::string& prefix, const std::string& parent = "");
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  void Keep() { path_.clear(); }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Removes the directories `<prefix><pid>-*` under `parent` ($TMPDIR or /tmp) whose pid is no
// longer alive, owned by this user and not symlinks (CreateOwned's leftovers); returns how many.
// A directory whose process lives, or that another user owns, is left alone.
int SweepAbandonedTempDirs(const std::string& prefix, const std::string& parent = "");

// rm -rf without following symlinks. Missing path is not an error.
Status RemoveAll(const std::string& path);

// mkdir -p with the given mode.
Status MakeDirs(const std::string& path, unsigned mode = 0700);

}  // namespace hasteward::core
