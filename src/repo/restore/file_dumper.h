#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"
#include "repo/repository.h"

namespace hasteward::repo {

struct DumpProgress {
  uint64_t bytes_written = 0;
  uint64_t total_bytes = 0;
  double seconds = 0;
};

struct DumpOptions {
  int threads = 0;  // fetch/decrypt workers; 0 = one per core, at least 2
  size_t max_in_flight_bytes = size_t{32} * 1024 * 1024;
  std::function<void(const DumpProgress&)> progress;
};

// Finds the file node at `path` in the snapshot ("" = the snapshot's only file, descending through
// single-entry directories, as a stdin backup has). kNotFound names what is missing.
core::Result<Node> FindFileNode(Repository& repo, const Snapshot& snap, const std::string& path);

// Streams the file's content to `sink` in order: blobs are fetched and decrypted in parallel
// (consecutive blobs of one pack in one ranged read), verified, and written in order with memory
// bounded by max_in_flight_bytes. The index must be loaded. Returns bytes written.
core::Result<uint64_t> DumpFile(Repository& repo, const Node& file, core::ByteSink& sink,
                                const DumpOptions& options);

}  // namespace hasteward::repo
