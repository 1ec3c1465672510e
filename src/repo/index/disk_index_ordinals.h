// repo/index/disk_index_ordinals: the on-disk blob index (disk_index.h) seen as a numbering of
// the repository's distinct blobs: each (id, type) is the number of its record in the sorted file,
// 0 to count()-1. Prune marks what is used in a bitset over these numbers (10 M blobs: 1.25 MiB)
// instead of a hash set of IDs (~0.5 GB). Lookups read the file as DiskIndex's do
// (disk_index_read.h: the fanout table held, one pread of a bucket a lookup).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/fd.h"
#include "core/status.h"
#include "repo/index/disk_index.h"

namespace hasteward::repo {

class DiskIndexOrdinals {
 public:
  // Opens the file of an opened (verified) DiskIndex a second time, read-only. kCorruption when
  // the file at its path is no longer the one `index` verified (its record count differs).
  static core::Result<std::unique_ptr<DiskIndexOrdinals>> Open(const DiskIndex& index);

  // The blob's number, nullopt when the index does not list it. Thread-safe. kStorage when the
  // file cannot be read.
  core::Result<std::optional<uint64_t>> Find(const Id& blob_id, BlobType type) const;
  // The blob with number `ordinal` (< count()), for messages.
  core::Result<std::pair<Id, BlobType>> BlobAt(uint64_t ordinal) const;
  uint64_t count() const { return records_; }

 private:
  DiskIndexOrdinals() = default;

  std::string path_;
  core::UniqueFd fd_;
  uint64_t records_ = 0;
  std::vector<uint64_t> fanout_;
};

}  // namespace hasteward::repo
