// repo/index/disk_index_ordinals: the on-disk blob index (disk_index.h) seen as a numbering of
// the repository's distinct blobs: each (id, type) is the number of its record in the sorted file,
// 0 to count()-1. Prune marks what is used in a bitset over these numbers (10 M blobs: 1.25 MiB)
// instead of a hash set of IDs (~0.5 GB). The mapping's resident pages are dropped every so many
// lookups, so a walk that looks up every blob of the repository keeps a bounded working set
// (the pages stay in the page cache; only this process's share of them is let go).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "core/status.h"
#include "repo/index/disk_index.h"

namespace hasteward::repo {

class DiskIndexOrdinals {
 public:
  // Maps the file of an opened (verified) DiskIndex a second time, read-only. kCorruption when the
  // file at its path is no longer the one `index` verified (its record count differs).
  static core::Result<std::unique_ptr<DiskIndexOrdinals>> Open(const DiskIndex& index);

  ~DiskIndexOrdinals();
  DiskIndexOrdinals(const DiskIndexOrdinals&) = delete;
  DiskIndexOrdinals& operator=(const DiskIndexOrdinals&) = delete;

  // The blob's number, nullopt when the index does not list it. Thread-safe.
  std::optional<uint64_t> Find(const Id& blob_id, BlobType type) const;
  // The blob with number `ordinal` (< count()), for messages.
  std::pair<Id, BlobType> BlobAt(uint64_t ordinal) const;
  uint64_t count() const { return records_; }

  // Lookups between two drops of the resident pages: each touches ~10 pages, so at most ~40 MiB
  // of the mapping are resident at a time.
  static constexpr uint64_t kLookupsPerRelease = 1024;

 private:
  DiskIndexOrdinals() = default;
  void CountLookup() const;

  const uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  uint64_t records_ = 0;
  mutable std::atomic<uint64_t> lookups_{0};
};

}  // namespace hasteward::repo
