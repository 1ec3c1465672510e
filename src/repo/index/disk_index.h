// repo/index/disk_index: the repository's blob index as a sorted file of fixed records in the
// local cache, read with pread (disk_index_read.h: one read of a fanout bucket a lookup), so a
// repository of 10 M blobs costs no more memory than one of 10 k (MasterIndex holds ~80 bytes per
// blob), however many blobs are looked up. The file is keyed
// by the set of index files it was built from: a repository whose index files changed (a backup
// added one, prune rewrote them) gets a new file, built by streaming the index files
// (disk_index_builder.h). A file is verified (size, key, CRC) before it is used: a damaged or
// truncated one is rebuilt, never trusted, since a wrong answer would make backup skip a blob
// that is not stored.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/fd.h"
#include "core/status.h"
#include "repo/index/disk_index_builder.h"
#include "repo/index/disk_index_format.h"
#include "repo/index/master_index.h"

namespace hasteward::repo {

struct DiskIndexOpenOptions {
  std::string dir;  // the cache directory of this repository (created 0700 when missing)
  DiskIndexBuildOptions build;
  // A cached file built from a subset of the index files is reused when at most this many are
  // missing from it (each backup adds one): the caller reads those (missing_files()) into memory
  // instead of rebuilding the whole file after every backup. 0: only an exact match is reused.
  size_t max_missing_files = 0;
};

// A verified index file, held open. Immutable after Open; lookups are thread-safe. Memory: the
// fanout table (512 KiB) and a bucket's buffer per looking-up thread.
class DiskIndex {
 public:
  // Opens the file for exactly `index_files` under options.dir, else (max_missing_files) a
  // verified file for a subset of them, else builds it; a file that fails verification is never
  // used. A successful build removes this directory's files of other index sets. Errors: the
  // loader's (an unreadable index file), kStorage for the cache.
  static core::Result<std::unique_ptr<DiskIndex>> Open(const std::vector<Id>& index_files,
                                                       const IndexFileLoader& load,
                                                       const DiskIndexOpenOptions& options);
  // Maps and verifies one file: kCorruption when it is not a complete index file with `key`.
  static core::Result<std::unique_ptr<DiskIndex>> OpenFile(const std::string& path, const Id& key);
  // A verified file in `dir` built from a subset of `index_files` lacking at most `max_missing`
  // of them; kNotFound when there is none.
  static core::Result<std::unique_ptr<DiskIndex>> OpenCovering(const std::string& dir,
                                                               const std::vector<Id>& index_files,
                                                               size_t max_missing);

  ~DiskIndex();
  DiskIndex(const DiskIndex&) = delete;
  DiskIndex& operator=(const DiskIndex&) = delete;

  // The blob's location, nullopt when no index file lists it (or, logged, when the cache file
  // cannot be read).
  std::optional<BlobLocation> Lookup(const Id& blob_id, BlobType type) const;
  bool Has(const Id& blob_id, BlobType type) const;
  uint64_t BlobCount() const { return records_; }
  // Pack entries of the index files (a pack listed by two files counts twice).
  uint64_t PackEntryCount() const { return packs_; }
  // Calls fn for every record in blob id order (tests walk the whole index this way).
  core::Status ForEachBlob(
      const std::function<void(const Id& pack, const PackedBlob& blob)>& fn) const;

  const std::string& path() const { return path_; }
  // The index files the file was built from (sorted), and those of the set asked for that it
  // lacks (not empty only after a reuse by OpenCovering): the caller adds their packs itself.
  const std::vector<Id>& covered_files() const { return covered_; }
  const std::vector<Id>& missing_files() const { return missing_; }
  // Whether Open built the file (false: it was in the cache and verified), and the build's stats.
  bool built() const { return built_; }
  const DiskIndexBuildStats& build_stats() const { return build_stats_; }

  // The file name for a set of index files, and the key (SHA-256 of their sorted IDs) it holds.
  static Id KeyFor(const std::vector<Id>& index_files);
  static std::string FileNameFor(const Id& key);

 private:
  DiskIndex() = default;
  std::optional<DiskIndexRecord> FindRecord(const Id& blob_id, BlobType type) const;
  core::Result<Id> PackAt(uint32_t number) const;
  static PackedBlob BlobOf(const DiskIndexRecord& record);

  std::string path_;
  core::UniqueFd fd_;
  std::vector<uint64_t> fanout_;
  uint64_t records_ = 0;
  uint64_t packs_ = 0;
  std::vector<Id> covered_;
  std::vector<Id> missing_;
  bool built_ = false;
  DiskIndexBuildStats build_stats_;
};

}  // namespace hasteward::repo
