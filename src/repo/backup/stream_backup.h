#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_stream.h"
#include "core/clock.h"
#include "core/status.h"
#include "repo/backup/snapshot_writer.h"
#include "repo/compress/zstd_codec.h"
#include "repo/repository.h"

namespace hasteward::repo {

struct BackupOptions {
  std::string filename = "stdin";  // path inside the snapshot; may contain '/' ("ns/c/x.sql")
  std::vector<std::string> tags;   // stored in order; "a,b" is split like restic does
  std::optional<GoTime> time;      // snapshot and file time; default: now, local zone
  std::string hostname;            // default: this host
  CompressionOptions compression;
  int threads = 0;  // encoding workers; 0 = one per core
  size_t pack_size = size_t{16} * 1024 * 1024;
  size_t max_in_flight_bytes = size_t{8} * 1024 * 1024;  // chunk bytes queued for workers
  // How long to wait for an exclusive lock held by someone else (restic's --retry-lock).
  std::chrono::milliseconds lock_wait{0};
  std::function<void(const BackupProgress&)> progress;   // called from the reading thread
  const core::Clock* clock = &core::SystemClock::Get();  // snapshot time, lock, durations
};

// Backs up one stream as one file (a SnapshotWriter with one content-defined file): read ->
// chunk -> hash -> compress -> encrypt -> pack -> save, with workers in parallel and memory
// bounded by max_in_flight_bytes plus one open pack per worker. Takes a shared repository lock
// and loads the index itself. The snapshot is written only after every pack and the index are
// durable and the source ended cleanly: a source error, an empty source or a lost lock saves no
// snapshot (kIncompleteInput / the source's error).
core::Result<BackupSummary> BackupStream(Repository& repo, core::ByteSource& source,
                                         const BackupOptions& options);

// The two halves of BackupStream, for callers that must hold the lock before they start the
// producer of the stream (a dump held back by a busy repository would keep its database snapshot
// open): the writer options for `options`, then the stream stored as the writer's one file and
// committed.
SnapshotWriterOptions StreamWriterOptions(const BackupOptions& options);
core::Result<BackupSummary> CommitStream(SnapshotWriter& writer, core::ByteSource& source,
                                         const BackupOptions& options);

}  // namespace hasteward::repo
