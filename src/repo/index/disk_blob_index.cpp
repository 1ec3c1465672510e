#include "repo/index/disk_blob_index.h"

namespace hasteward::repo {

std::optional<BlobLocation> DiskBlobIndex::Lookup(const Id& blob_id, BlobType type) const {
  auto location = disk_->Lookup(blob_id, type);
  if (location) {
    return location;
  }
  return overlay_.Lookup(blob_id, type);
}

bool DiskBlobIndex::Has(const Id& blob_id, BlobType type) const {
  return disk_->Has(blob_id, type) || overlay_.Has(blob_id, type);
}

void DiskBlobIndex::AddPack(const Id& pack_id, const std::vector<PackedBlob>& blobs) {
  overlay_.AddPack(pack_id, blobs);
}

size_t DiskBlobIndex::BlobCount() const {
  return static_cast<size_t>(disk_->BlobCount()) + overlay_.BlobCount();
}

}  // namespace hasteward::repo
