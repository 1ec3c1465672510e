#pragma once

#include <cstddef>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "repo/pack/pack.h"
#include "repo/repository.h"

namespace hasteward::repo {

// Collects encoded blobs into packs of about `pack_size` bytes and saves each full pack to the
// backend from the thread that filled it, so uploads run in parallel with encoding. A blob is
// claimed once per run (Claim) so concurrent workers never store the same content twice.
// Saved packs are added to the repository's index and remembered for the run's index file.
// Thread-safe.
class PackerPool {
 public:
  PackerPool(Repository& repo, size_t pack_size) : repo_(repo), pack_size_(pack_size) {}

  // True when the caller should store this blob (not in the index and not claimed this run).
  bool Claim(const Id& id, BlobType type);

  // Adds an encoded blob; saves the pack when it reaches the target size.
  core::Status Add(EncodedBlob&& blob);
  core::Status Add(const Id& id, BlobType type, core::ByteView encrypted,
                   uint32_t uncompressed_length);

  // Saves the partially filled packs.
  core::Status Flush();

  // Packs saved by this pool, for the index file.
  std::vector<std::pair<Id, std::vector<PackedBlob>>> TakeSavedPacks();

  uint64_t bytes_stored() const;
  size_t packs_saved() const;

 private:
  core::Status Save(PackWriter::Finished&& pack);

  Repository& repo_;
  size_t pack_size_;
  mutable std::mutex mu_;
  std::unique_ptr<PackWriter> open_[2];  // by BlobType
  std::unordered_set<Id, IdHash> claimed_[2];
  std::vector<std::pair<Id, std::vector<PackedBlob>>> saved_;
  std::vector<core::Bytes> spare_;  // pack buffers kept for reuse (capacity only)
  uint64_t bytes_stored_ = 0;
  size_t packs_saved_ = 0;
};

}  // namespace hasteward::repo
