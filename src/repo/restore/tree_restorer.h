#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "repo/repository.h"
#include "repo/restore/file_dumper.h"

namespace hasteward::repo {

struct TreeRestoreOptions {
  DumpOptions dump;  // fetch parallelism and memory bound (shared by the files in flight)
  // Files written at once; 0 = one per core, at least 2.
  int file_workers = 0;
  // Flush every restored file and directory to disk before returning (one syncfs of the target's
  // filesystem): a database started on the restored tree right after must find it on disk after
  // a crash, as after its own checkpoint.
  bool sync = true;
  // Drop each large file's pages from the page cache once written back, a few strides behind
  // the writing: for a tree handed to a server that reads what it needs (a data directory), not
  // to a caller that reads it all back at once. Files under 16 MiB keep their pages.
  bool drop_written_pages = false;
  // chown files to the uid/gid recorded in the snapshot (needs root; off: the restoring user).
  bool restore_owner = false;
  // Optional: for each file (its path relative to the target directory, '/'-separated), a sink
  // that sees the file's bytes in order as they are written, or nullptr to skip that file. Its
  // Close() runs after the last byte, and an error from it fails the restore. Lets a caller check
  // a checksum the tree itself records (a database's backup manifest) without reading the tree
  // back. Called from several threads at once.
  std::function<std::unique_ptr<core::ByteSink>(const std::string& relative_path)> file_check;
};

struct TreeRestoreSummary {
  uint64_t files = 0;
  uint64_t dirs = 0;
  uint64_t symlinks = 0;
  uint64_t bytes = 0;
};

// Recreates the tree at `path` of the snapshot ("" = its root) under `target_dir`, which must be
// missing or empty (nothing is ever overwritten): directories, files (content verified blob by
// blob), symlinks, permission bits and modification times, as `restic restore` does. Other node
// types (devices, fifos, sockets) are refused. The index must be loaded.
// Errors: kUsage (target not empty), kNotFound (path), kCorruption (a tree or blob fails its
// hash, a node name that would leave the target), storage errors.
core::Result<TreeRestoreSummary> RestoreTree(Repository& repo, const Snapshot& snapshot,
                                             const std::string& path, const std::string& target_dir,
                                             const TreeRestoreOptions& options);

}  // namespace hasteward::repo
