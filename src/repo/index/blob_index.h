// repo/index/blob_index: the question backup, restore and blob loads ask of the index: where is
// this blob, and is it stored at all. Two answers: MasterIndex (every entry in memory, as restic
// does; right for small repositories) and DiskBlobIndex (a file in the local cache, read by pread,
// for repositories whose index would not fit a bounded working set). Both must pass
// tests/repo/blob_index_conformance_test.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "repo/crypto/crypto.h"
#include "repo/pack/pack.h"

namespace hasteward::repo {

// Where a blob lives: pack (by its number in the index's pack table) and position.
struct BlobLocation {
  Id pack_id{};
  PackedBlob blob;
};

// Thread-safe: lookups and AddPack may run concurrently (backup's workers do both).
class BlobIndex {
 public:
  virtual ~BlobIndex() = default;
  // The blob's location, nullopt when it is stored in no known pack.
  virtual std::optional<BlobLocation> Lookup(const Id& blob_id, BlobType type) const = 0;
  virtual bool Has(const Id& blob_id, BlobType type) const = 0;
  // Records a pack this process has just saved (not yet in an index file), so its blobs are found
  // from now on. A blob already known keeps its first location.
  virtual void AddPack(const Id& pack_id, const std::vector<PackedBlob>& blobs) = 0;
  // Distinct blobs known (a blob in two packs counts once; for DiskBlobIndex, one added again by
  // AddPack counts twice).
  virtual size_t BlobCount() const = 0;
};

}  // namespace hasteward::repo
