// repo/maintenance: carries out a GcPlan (gc_plan.h) in an order that survives a crash at any
// point (docs/prune.md): delete unreferenced packs; copy the used blobs of repacked packs into
// new packs; write new index files describing every remaining pack (the last one lists the old
// index files in "supersedes"); delete the old index files; only then delete removed and repacked
// packs. A pack some index references is never deleted while that index exists.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/status.h"
#include "repo/maintenance/gc_plan.h"
#include "repo/repository.h"

namespace hasteward::repo {

struct GcExecuteOptions {
  int threads = 2;
  uint64_t pack_size = 16ull << 20;
  size_t max_index_blobs = 50000;  // per new index file
  // Called before every destructive phase; a non-ok status aborts there (the lock was lost).
  std::function<core::Status()> still_locked;
};

struct GcResult {
  size_t packs_written = 0;
  uint64_t bytes_written = 0;
  size_t index_files_written = 0;
  size_t index_files_removed = 0;
  size_t packs_deleted = 0;
  uint64_t bytes_deleted = 0;
};

// What ExecuteGc reads besides the plan: the blobs to copy out of the repacked packs and the
// packs that stay, from the index the plan was made from. Two sources: the in-memory index
// (MemoryGcSource) and the on-disk one, which reads the index files again one at a time
// (gc_disk_plan.h), so a large repository's plan never holds every pack's blob list.
class GcSource {
 public:
  using RepackBatch = std::function<core::Status(const std::vector<PackDecision>&)>;
  using KeptPack = std::function<void(const Id& pack, const std::vector<PackedBlob>& blobs)>;
  virtual ~GcSource() = default;
  // Calls `repack` with the plan's repacked packs, `copy` filled, in batches, in index order.
  virtual core::Status ForEachRepack(const RepackBatch& repack) = 0;
  // Calls `keep` for each pack the plan keeps, in index order, with its blobs.
  virtual core::Status ForEachKept(const KeptPack& keep) = 0;
  // The index files the plan was made from: the new index supersedes them, then they are deleted.
  virtual const std::vector<Id>& IndexFiles() const = 0;
};

// The source of a plan PlanGc made over repo.index() (the copy lists are in the plan).
std::unique_ptr<GcSource> MemoryGcSource(Repository& repo, const GcPlan& plan);

// The caller holds the exclusive lock and read the index the plan was made from (and nothing
// since). Each repacked blob is verified (MAC, decompression, SHA-256) before it is copied. The
// new index lists the kept packs in index order, then the packs the repack wrote.
core::Result<GcResult> ExecuteGc(Repository& repo, const GcPlan& plan, GcSource& source,
                                 const GcExecuteOptions& options);

}  // namespace hasteward::repo
