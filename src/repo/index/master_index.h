#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "repo/crypto/crypto.h"
#include "repo/index/blob_index.h"
#include "repo/pack/pack.h"

namespace hasteward::repo {

// The union of all index files: blob ID -> location, plus each pack's blob list. Thread-safe:
// lookups take a shared lock, additions an exclusive one. Memory is ~80 bytes per blob.
class MasterIndex : public BlobIndex {
 public:
  // Records a pack and its blobs. A blob already known keeps its first location (duplicates are
  // tolerated, as in restic).
  void AddPack(const Id& pack_id, const std::vector<PackedBlob>& blobs) override;
  bool Has(const Id& blob_id, BlobType type) const override;
  std::optional<BlobLocation> Lookup(const Id& blob_id, BlobType type) const override;

  size_t BlobCount() const override;
  size_t PackCount() const;
  // Calls fn for each pack and its blobs (exclusive of concurrent AddPack).
  void ForEachPack(const std::function<void(const Id&, const std::vector<PackedBlob>&)>& fn) const;
  bool HasPack(const Id& pack_id) const;
  const std::vector<PackedBlob>* PackBlobs(const Id& pack_id) const;

 private:
  struct Key {
    Id id;
    BlobType type;
    bool operator==(const Key& o) const { return id == o.id && type == o.type; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept {
      return IdHash{}(k.id) ^ static_cast<size_t>(k.type);
    }
  };
  struct Entry {
    uint32_t pack;
    uint32_t index_in_pack;
  };
  mutable std::shared_mutex mu_;
  std::vector<Id> pack_ids_;
  std::vector<std::vector<PackedBlob>> pack_blobs_;
  std::unordered_map<Id, uint32_t, IdHash> pack_numbers_;
  std::unordered_map<Key, Entry, KeyHash> blobs_;
};

// One index file's content (restic-format.md §5.2).
struct IndexFile {
  std::vector<Id> supersedes;
  std::vector<std::pair<Id, std::vector<PackedBlob>>> packs;
};

// Index JSON as restic writes it (with the trailing newline).
std::string EncodeIndexJson(const IndexFile& index);
// Parses index JSON as it streams (index_json_parse.cpp): memory is the result, not a DOM of the
// text. kCorruption when it is not an index file.
core::Result<IndexFile> ParseIndexJson(const std::string& json);

}  // namespace hasteward::repo
