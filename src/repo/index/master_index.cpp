#include "repo/index/master_index.h"

#include <mutex>

#include <nlohmann/json.hpp>

namespace hasteward::repo {

void MasterIndex::AddPack(const Id& pack_id, const std::vector<PackedBlob>& blobs) {
  std::unique_lock lock(mu_);
  if (pack_numbers_.count(pack_id) != 0) {
    return;
  }
  auto number = static_cast<uint32_t>(pack_ids_.size());
  pack_ids_.push_back(pack_id);
  pack_blobs_.push_back(blobs);
  pack_numbers_.emplace(pack_id, number);
  for (uint32_t i = 0; i < blobs.size(); ++i) {
    blobs_.emplace(Key{blobs[i].id, blobs[i].type}, Entry{number, i});
  }
}

bool MasterIndex::Has(const Id& blob_id, BlobType type) const {
  std::shared_lock lock(mu_);
  return blobs_.count(Key{blob_id, type}) != 0;
}

std::optional<BlobLocation> MasterIndex::Lookup(const Id& blob_id, BlobType type) const {
  std::shared_lock lock(mu_);
  auto it = blobs_.find(Key{blob_id, type});
  if (it == blobs_.end()) {
    return std::nullopt;
  }
  return BlobLocation{pack_ids_[it->second.pack],
                      pack_blobs_[it->second.pack][it->second.index_in_pack]};
}

size_t MasterIndex::BlobCount() const {
  std::shared_lock lock(mu_);
  return blobs_.size();
}

size_t MasterIndex::PackCount() const {
  std::shared_lock lock(mu_);
  return pack_ids_.size();
}

bool MasterIndex::HasPack(const Id& pack_id) const {
  std::shared_lock lock(mu_);
  return pack_numbers_.count(pack_id) != 0;
}

const std::vector<PackedBlob>* MasterIndex::PackBlobs(const Id& pack_id) const {
  std::shared_lock lock(mu_);
  auto it = pack_numbers_.find(pack_id);
  return it == pack_numbers_.end() ? nullptr : &pack_blobs_[it->second];
}

void MasterIndex::ForEachPack(
    const std::function<void(const Id&, const std::vector<PackedBlob>&)>& fn) const {
  std::shared_lock lock(mu_);
  for (size_t i = 0; i < pack_ids_.size(); ++i) {
    fn(pack_ids_[i], pack_blobs_[i]);
  }
}

std::string EncodeIndexJson(const IndexFile& index) {
  nlohmann::ordered_json j;
  if (!index.supersedes.empty()) {
    auto& sup = j["supersedes"] = nlohmann::ordered_json::array();
    for (const auto& id : index.supersedes) {
      sup.push_back(IdToHex(id));
    }
  }
  auto& packs = j["packs"] = nlohmann::ordered_json::array();
  for (const auto& [pack_id, blobs] : index.packs) {
    nlohmann::ordered_json p;
    p["id"] = IdToHex(pack_id);
    auto& arr = p["blobs"] = nlohmann::ordered_json::array();
    for (const auto& b : blobs) {
      nlohmann::ordered_json e;
      e["id"] = IdToHex(b.id);
      e["type"] = BlobTypeName(b.type);
      e["offset"] = b.offset;
      e["length"] = b.length;
      if (b.uncompressed_length != 0) {
        e["uncompressed_length"] = b.uncompressed_length;
      }
      arr.push_back(std::move(e));
    }
    packs.push_back(std::move(p));
  }
  return j.dump() + "\n";
}

}  // namespace hasteward::repo
