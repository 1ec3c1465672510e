// repo/maintenance: garbage-collection planning for prune (restic-format.md §11.2, docs/prune.md).
// Pure: given the index, the set of blobs still used by snapshots and the pack files that really
// exist, decides per pack: keep, remove (nothing used), repack (partly used, over the --max-unused
// budget, or a tree/mixed pack with unused blobs) or drop (indexed but missing, nothing used).
// Reads and writes nothing; gc_execute.h carries a plan out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "repo/index/master_index.h"
#include "storage/backend.h"

namespace hasteward::repo {

// Blobs still referenced by some snapshot, by type.
struct BlobSet {
  std::unordered_set<Id, IdHash> data;
  std::unordered_set<Id, IdHash> tree;

  std::unordered_set<Id, IdHash>& Of(BlobType t) { return t == BlobType::kTree ? tree : data; }
  const std::unordered_set<Id, IdHash>& Of(BlobType t) const {
    return t == BlobType::kTree ? tree : data;
  }
  size_t size() const { return data.size() + tree.size(); }
};

// restic's --max-unused: how much unused space may remain after prune.
struct MaxUnused {
  enum class Kind { kPercent, kBytes, kUnlimited };
  Kind kind = Kind::kPercent;
  double percent = 5;  // of the used bytes, as restic: budget = used * p / (100 - p)
  uint64_t bytes = 0;

  // The unused bytes allowed to remain when `used_bytes` are in use.
  uint64_t Budget(uint64_t used_bytes) const;
  std::string ToString() const;  // "5%", "104857600", "unlimited"
};

// "5%", "0%", "12.5%", "unlimited", "500" (bytes), "100K", "100M", "2G", "1T" (binary units).
// kUsage otherwise (percent must be in [0, 100)).
core::Result<MaxUnused> ParseMaxUnused(std::string_view text);

struct GcPlanOptions {
  MaxUnused max_unused;
  // Target pack size; a partly used pack smaller than pack_size / 25 is always repacked.
  uint64_t pack_size = 16ull << 20;
  // restic's --max-repack-size: the packs chosen for repacking add up to at most this many
  // bytes; the rest are kept as they are (always safe) and left for a later prune. Tree and
  // mixed packs go first, then small packs, then the emptiest data packs.
  uint64_t max_repack_bytes = UINT64_MAX;
};

enum class PackAction { kKeep, kRemove, kRepack, kDrop };
const char* PackActionName(PackAction a);  // "keep" | "remove" | "repack" | "drop"

struct PackDecision {
  Id id{};
  PackAction action = PackAction::kKeep;
  bool has_data = false;
  bool has_tree = false;
  uint64_t size = 0;          // as the index implies it
  uint64_t used_bytes = 0;    // used blobs + header
  uint64_t unused_bytes = 0;  // unreferenced and duplicate blobs
  uint32_t used_blobs = 0;
  uint32_t unused_blobs = 0;
  uint64_t copy_bytes = 0;       // the used blobs' bytes (what a repack copies)
  std::vector<PackedBlob> copy;  // kRepack: the blobs to copy into new packs (PlanGc fills it)
};

struct GcStats {
  size_t packs = 0, keep = 0, remove = 0, repack = 0, drop = 0, unreferenced = 0;
  size_t used_blobs = 0, unused_blobs = 0, duplicate_blobs = 0;
  uint64_t used_bytes = 0, unused_bytes = 0;
  uint64_t remove_bytes = 0;       // pack bytes deleted without copying (remove + unreferenced)
  uint64_t repack_bytes = 0;       // bytes of the packs rewritten
  uint64_t repack_copy_bytes = 0;  // bytes copied into new packs
  uint64_t unused_after = 0;       // unused bytes left in kept packs
  uint64_t unused_budget = 0;
};

struct GcPlan {
  std::vector<PackDecision> packs;              // one per indexed pack
  std::vector<storage::FileInfo> unreferenced;  // pack files no index references
  GcStats stats;

  // True when the index must be rewritten (a pack is removed, repacked or dropped).
  bool RewritesIndex() const { return stats.remove + stats.repack + stats.drop > 0; }
  bool NothingToDo() const { return !RewritesIndex() && unreferenced.empty(); }
};

// Classifies every pack. `used` is consumed. A used blob that appears in several packs counts as
// used in one of them only (preferring fully used packs, so a rerun after an interrupted repack
// keeps the new packs), the other copies are unused. Errors: kCorruption, naming the blob, when a
// used blob is in no pack that exists with the size the index implies (nothing may be deleted
// then).
core::Result<GcPlan> PlanGc(const MasterIndex& index, BlobSet used,
                            const std::vector<storage::FileInfo>& pack_files,
                            const GcPlanOptions& options);

}  // namespace hasteward::repo
