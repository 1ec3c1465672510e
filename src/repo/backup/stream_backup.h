#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_stream.h"
#include "core/status.h"
#include "repo/compress/zstd_codec.h"
#include "repo/repository.h"

namespace hasteward::repo {

struct BackupProgress {
  uint64_t bytes_read = 0;
  uint64_t bytes_stored = 0;
  double seconds = 0;
};

struct BackupOptions {
  std::string filename = "stdin";  // path inside the snapshot; may contain '/' ("ns/c/x.sql")
  std::vector<std::string> tags;   // stored in order; "a,b" is split like restic does
  std::optional<GoTime> time;      // snapshot and file time; default: now, local zone
  std::string hostname;            // default: this host
  CompressionOptions compression;
  int threads = 0;  // encoding workers; 0 = one per core
  size_t pack_size = size_t{16} * 1024 * 1024;
  size_t max_in_flight_bytes = size_t{8} * 1024 * 1024;  // chunk bytes queued for workers
  std::function<void(const BackupProgress&)> progress;   // called from the reading thread
};

struct BackupSummary {
  Id snapshot_id{};
  Id tree_id{};
  uint64_t bytes_read = 0;
  uint64_t chunks = 0;
  uint64_t chunks_new = 0;
  uint64_t bytes_new = 0;     // plaintext bytes of new blobs
  uint64_t bytes_stored = 0;  // pack bytes written
  size_t packs_written = 0;
  double seconds = 0;
};

// Backs up one stream as one file: read -> chunk -> hash -> compress -> encrypt -> pack -> save,
// with workers in parallel and memory bounded by max_in_flight_bytes plus one open pack per
// worker. Takes a shared repository lock and loads the index itself. The snapshot is written only
// after every pack and the index are durable and the source ended cleanly: a source error, an
// empty source or a lost lock saves no snapshot (kIncompleteInput / the source's error).
core::Result<BackupSummary> BackupStream(Repository& repo, core::ByteSource& source,
                                         const BackupOptions& options);

// Splits "--tag a,b" values like restic: on commas, trimmed, empties dropped.
std::vector<std::string> NormalizeTags(const std::vector<std::string>& tags);

}  // namespace hasteward::repo
