// repo/maintenance: carries out a GcPlan (gc_plan.h) in an order that survives a crash at any
// point (docs/prune.md): delete unreferenced packs; copy the used blobs of repacked packs into
// new packs; write new index files describing every remaining pack (the last one lists the old
// index files in "supersedes"); delete the old index files; only then delete removed and repacked
// packs. A pack some index references is never deleted while that index exists.
#pragma once

#include <cstdint>
#include <functional>

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

// The caller holds the exclusive lock and loaded the index the plan was made from (and nothing
// since). Each repacked blob is verified (MAC, decompression, SHA-256) before it is copied.
core::Result<GcResult> ExecuteGc(Repository& repo, const GcPlan& plan,
                                 const GcExecuteOptions& options);

}  // namespace hasteward::repo
