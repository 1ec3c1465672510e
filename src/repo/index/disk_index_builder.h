// repo/index/disk_index_builder: writes the on-disk blob index (disk_index.h) from the
// repository's index files in bounded memory: the files are read one at a time, their entries
// collected into runs of at most RecordsPerRun records, each run sorted and spilled to a temp
// file, and the runs merged into the final file. Memory is the run, one parsed index file and the
// merge's read buffers, whatever the number of blobs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "repo/crypto/crypto.h"
#include "repo/index/master_index.h"

namespace hasteward::repo {

// Reads and parses one index file of the repository (Repository::LoadUnpacked + ParseIndexJson).
using IndexFileLoader = std::function<core::Result<IndexFile>(const Id& index_file)>;

struct DiskIndexBuildOptions {
  // What the sort runs and the merge buffers may hold together. The parsed index file being read
  // comes on top (restic writes files of at most 150,000 blobs).
  size_t memory_budget_bytes = size_t{64} << 20;
};

struct DiskIndexBuildStats {
  uint64_t blobs = 0;           // distinct (id, type) records written
  uint64_t packs = 0;           // entries of the pack table (one per pack entry of an index file)
  size_t runs = 0;              // sorted runs spilled
  size_t records_per_run = 0;   // the run size RecordsPerRun chose
  size_t max_records_held = 0;  // the most records held in memory at once (never > records_per_run)
};

// Bytes of one record in the file: blob id, pack number with the type bit, offset, length,
// uncompressed length.
inline constexpr size_t kDiskIndexRecordSize = 48;

// How many records one run holds under `memory_budget_bytes`: half the budget (the merge's read
// buffers get the other half), at least 1024 so a tiny budget still makes progress.
size_t RecordsPerRun(size_t memory_budget_bytes);

// Builds the index of `index_files` (read in this order: a blob listed twice keeps the location
// of the first listing, as MasterIndex does) into `path`, durably (temp file, fsync, rename),
// with `key` in its header. Temp files go to a directory beside `path` and are removed on return.
core::Result<DiskIndexBuildStats> BuildDiskIndex(const std::string& path, const Id& key,
                                                 const std::vector<Id>& index_files,
                                                 const IndexFileLoader& load,
                                                 const DiskIndexBuildOptions& options);

}  // namespace hasteward::repo
