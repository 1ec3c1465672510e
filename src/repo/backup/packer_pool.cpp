#include "repo/backup/packer_pool.h"

#include <future>

#include "core/failpoint.h"

namespace hasteward::repo {

namespace {
// The data pack and the tree pack open while one of each is being saved.
constexpr size_t kMaxSpareBuffers = 2;
size_t TypeIndex(BlobType t) {
  return static_cast<size_t>(t);
}
}  // namespace

bool PackerPool::Claim(const Id& id, BlobType type) {
  if (repo_.blobs().Has(id, type)) {
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  return claimed_[TypeIndex(type)].insert(id).second;
}

core::Status PackerPool::Add(EncodedBlob&& blob) {
  return Add(blob.id, blob.type, blob.data, blob.uncompressed_length);
}

core::Status PackerPool::Add(const Id& id, BlobType type, core::ByteView encrypted,
                             uint32_t uncompressed_length) {
  std::unique_ptr<PackWriter> full;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& open = open_[TypeIndex(type)];
    if (!open) {
      core::Bytes buffer;
      if (!spare_.empty()) {
        buffer = std::move(spare_.back());
        spare_.pop_back();
      } else {
        // One allocation per pack: a pack overshoots its target by less than one blob.
        buffer.reserve(pack_size_ + size_t{9} * 1024 * 1024);
      }
      open = std::make_unique<PackWriter>(&repo_.key(), std::move(buffer));
    }
    open->Add(id, type, encrypted, uncompressed_length);
    if (open->size() + open->HeaderSize() >= pack_size_) {
      full = std::move(open);
    }
  }
  if (full) {
    return Save(full->Finish());
  }
  return core::Status::Ok();
}

core::Status PackerPool::Flush() {
  std::vector<std::unique_ptr<PackWriter>> open;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& slot : open_) {
      if (slot && slot->count() > 0) {
        open.push_back(std::move(slot));
      }
      slot.reset();
    }
  }
  std::vector<PackWriter::Finished> finished;
  finished.reserve(open.size());
  for (auto& pack : open) {
    finished.push_back(pack->Finish());
  }
  if (finished.size() < 2) {
    return finished.empty() ? core::Status::Ok() : Save(std::move(finished.front()));
  }
  // The last data pack and the tree pack of a snapshot are saved at the same time: each save
  // waits for the disk (fsync of the file and of its directory), and the two waits overlap
  // instead of adding up (a small snapshot, such as one WAL segment, pays this on every call).
  // Both are durable when Flush returns, before any index names them.
  std::future<core::Status> first =
      std::async(std::launch::async, [&] { return Save(std::move(finished[0])); });
  core::Status second = Save(std::move(finished[1]));
  core::Status first_status = first.get();
  return first_status.ok() ? second : first_status;
}

core::Status PackerPool::Save(PackWriter::Finished&& pack) {
  core::Status s =
      repo_.backend().Save(storage::Handle{storage::FileType::kPack, IdToHex(pack.id)}, pack.data);
  if (!s.ok()) {
    return s.Wrap("save pack '" + IdToHex(pack.id) + "'");
  }
  core::Failpoint("after-pack-save");
  repo_.blobs().AddPack(pack.id, pack.blobs);
  std::lock_guard<std::mutex> lock(mu_);
  bytes_stored_ += pack.data.size();
  ++packs_saved_;
  saved_.emplace_back(pack.id, std::move(pack.blobs));
  // A fresh buffer costs a page fault per 4 KiB as the pack fills (a third of the CPU of a
  // poorly compressible backup, measured): keep as many as the packs that can be open or saving
  // at once, so memory stays what the busiest moment already needed.
  if (spare_.size() < kMaxSpareBuffers) {
    spare_.push_back(std::move(pack.data));
  }
  return core::Status::Ok();
}

std::vector<std::pair<Id, std::vector<PackedBlob>>> PackerPool::TakeSavedPacks() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(saved_);
}

uint64_t PackerPool::bytes_stored() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_stored_;
}

size_t PackerPool::packs_saved() const {
  std::lock_guard<std::mutex> lock(mu_);
  return packs_saved_;
}

}  // namespace hasteward::repo
