// repo/index/disk_blob_index: BlobIndex over a DiskIndex (the repository's index files, in a
// cache file read by pread) plus an in-memory overlay of the packs this process saved since: a
// backup must find the blobs it wrote a minute ago (to store each once), and those are in no index
// file until the backup ends. The overlay holds one backup's new blobs, not the repository's.
#pragma once

#include <memory>

#include "repo/index/blob_index.h"
#include "repo/index/disk_index.h"
#include "repo/index/master_index.h"

namespace hasteward::repo {

class DiskBlobIndex : public BlobIndex {
 public:
  explicit DiskBlobIndex(std::unique_ptr<DiskIndex> disk) : disk_(std::move(disk)) {}

  // The file's location when it lists the blob (a blob stored again keeps its first place), else
  // the overlay's.
  std::optional<BlobLocation> Lookup(const Id& blob_id, BlobType type) const override;
  bool Has(const Id& blob_id, BlobType type) const override;
  void AddPack(const Id& pack_id, const std::vector<PackedBlob>& blobs) override;
  size_t BlobCount() const override;

  const DiskIndex& disk() const { return *disk_; }
  // The packs added since the file was built.
  const MasterIndex& overlay() const { return overlay_; }

 private:
  std::unique_ptr<DiskIndex> disk_;
  MasterIndex overlay_;
};

}  // namespace hasteward::repo
