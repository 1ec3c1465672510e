// repo/mount/snapshot_file_reader: random-access reads of one file of a snapshot, blob by blob
// through a BlobCache, with readahead when the reads are sequential. What a FUSE read of a mounted
// snapshot calls; it has no FUSE dependency.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "core/status.h"
#include "repo/index/master_index.h"
#include "repo/mount/blob_cache.h"
#include "repo/snapshot/snapshot.h"

namespace hasteward::repo {

class SnapshotFileReader {
 public:
  // Plans the file's blob offsets from the index. kCorruption when a blob is missing from the
  // index or the blobs' lengths do not add up to the node's size: a read past the blobs would
  // otherwise come back short, which a FUSE reader sees as zeros. `cache` must outlive the
  // reader; `readahead_bytes` = 0 turns readahead off.
  static core::Result<std::unique_ptr<SnapshotFileReader>> Open(const MasterIndex& index,
                                                                const Node& file, BlobCache& cache,
                                                                uint64_t readahead_bytes);

  // Copies the file's bytes at [offset, offset + out.size()) into `out`; returns how many, fewer
  // only at the end of the file (0 at or past it). Never returns a partial buffer on error: a blob
  // that fails to load or verify fails the whole read. Thread-safe.
  core::Result<size_t> Read(uint64_t offset, std::span<uint8_t> out);

  uint64_t size() const { return starts_.back(); }
  size_t blob_count() const { return blobs_.size(); }

 private:
  SnapshotFileReader(std::vector<Id> blobs, std::vector<uint64_t> starts, BlobCache& cache,
                     uint64_t readahead_bytes)
      : blobs_(std::move(blobs)),
        starts_(std::move(starts)),
        cache_(cache),
        readahead_bytes_(readahead_bytes) {}

  // The index of the blob holding byte `offset` (offset < size()).
  size_t BlobAt(uint64_t offset) const;
  // Queues the blobs after `last_blob` up to readahead_bytes_ past `end`, when this read follows
  // the previous one.
  void ReadAhead(uint64_t offset, uint64_t end, size_t last_blob);

  std::vector<Id> blobs_;
  std::vector<uint64_t> starts_;  // starts_[i]: offset of blob i; starts_.back(): the file size
  BlobCache& cache_;
  uint64_t readahead_bytes_;
  std::mutex mu_;
  uint64_t expected_next_ = 0;  // where a sequential read would start
  size_t queued_until_ = 0;     // blobs below this index were handed to readahead already
};

}  // namespace hasteward::repo
