// jobs/snapshot_mount: a snapshot served as a read-only file tree through FUSE (libfuse3). The
// repository side (path lookup, blob cache, readahead) is repo/mount; this file is only the
// adapter from FUSE requests to it, and the one place in the code base that includes libfuse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/status.h"
#include "repo/mount/blob_cache.h"
#include "repo/mount/snapshot_tree.h"
#include "repo/repository.h"

namespace hasteward::jobs {

struct SnapshotMountOptions {
  std::string mountpoint;  // an existing directory
  std::string fs_name;     // shown in /proc/mounts ("hasteward:<snapshot id>")
  repo::BlobCacheOptions cache;
  uint64_t readahead_bytes = uint64_t{16} * 1024 * 1024;
  bool allow_other = false;  // let other users (a database's OS user) read the tree
  // Called once the tree is mounted, before serving (tell the user how to stop it).
  std::function<void()> on_mounted;
  // When >= 0: becoming readable (an eventfd written) ends the mount like a stop signal, for a
  // caller that serves the mount from a thread of its own (BackgroundSnapshotMount). Not owned.
  int stop_fd = -1;
};

struct SnapshotMountSummary {
  int stop_signal = 0;  // SIGINT or SIGTERM that ended the mount; 0 when it was unmounted outside
  repo::BlobCacheStats cache;
  uint64_t read_errors = 0;  // reads answered with EIO
};

// SIGINT and SIGTERM blocked in the calling thread, so that every thread started afterwards
// (the repository lock's refresher, the cache's prefetchers, libfuse's workers) inherits the mask
// and ServeSnapshotMount alone receives them. Call before opening the repository.
void BlockStopSignalsForMount();

// Mounts `tree` read-only at options.mountpoint and serves it until SIGINT or SIGTERM (then it
// leaves the FUSE loop and unmounts) or until it is unmounted from outside (fusermount3 -u).
// A read whose blob fails to load or verify answers EIO, never zeros. Requires
// BlockStopSignalsForMount() first. Errors: kUsage (mountpoint missing or not a directory),
// kStorage (FUSE unavailable or the mount refused). The index must be loaded.
core::Result<SnapshotMountSummary> ServeSnapshotMount(repo::Repository& repository,
                                                      repo::SnapshotTree& tree,
                                                      const SnapshotMountOptions& options);

// A snapshot mount served by a thread of this process while the caller goes on (an instant
// restore runs a database on it). Stop() or the destructor unmounts it (lazily when a file is
// still open) and joins the thread. Not copyable; Stop is not thread-safe.
class BackgroundSnapshotMount {
 public:
  // Mounts `tree` and returns once the kernel serves it; kUsage/kStorage as ServeSnapshotMount.
  // `repository` and `tree` must outlive the mount.
  static core::Result<std::unique_ptr<BackgroundSnapshotMount>> Start(repo::Repository& repository,
                                                                      repo::SnapshotTree& tree,
                                                                      SnapshotMountOptions options);
  ~BackgroundSnapshotMount();
  BackgroundSnapshotMount(const BackgroundSnapshotMount&) = delete;
  BackgroundSnapshotMount& operator=(const BackgroundSnapshotMount&) = delete;
  // Unmounts and returns the summary (reads that failed). Idempotent.
  core::Result<SnapshotMountSummary> Stop();

 private:
  BackgroundSnapshotMount() = default;
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace hasteward::jobs
