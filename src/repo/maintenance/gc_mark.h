// repo/maintenance: which blobs are still used — every tree reachable from the given snapshots'
// root trees and every data blob their files reference (restic-format.md §11.2 step 1).
#pragma once

#include <vector>

#include "core/status.h"
#include "repo/maintenance/gc_plan.h"
#include "repo/repository.h"
#include "repo/snapshot/snapshot.h"

namespace hasteward::repo {

// Where the walk records what it found: a set of IDs over the in-memory index (MarkUsedBlobs) or
// a bitset over the on-disk index's blob numbers (gc_disk_plan.h).
class UsedMarks {
 public:
  enum class Mark { kMissing, kNew, kSeen };
  virtual ~UsedMarks() = default;
  // Marks the blob used: kMissing when the index does not list it (nothing is marked), kNew the
  // first time, kSeen after; an error when the index cannot be read. Called from several threads.
  virtual core::Result<Mark> Use(const Id& blob_id, BlobType type) = 0;
};

// Walks the trees of `snapshots` (each tree loaded once through repo.LoadBlob, `threads` at a
// time), marking every tree and data blob reached. Errors: kCorruption naming the blob and the
// snapshot when a used blob is not in the index (restic's rule: prune must delete nothing then)
// or a tree does not decode; storage errors as they come.
core::Status MarkUsed(Repository& repo, const std::vector<Snapshot>& snapshots, int threads,
                      UsedMarks* marks);

// MarkUsed over the loaded in-memory index (repo.index()), as a set of IDs.
core::Result<BlobSet> MarkUsedBlobs(Repository& repo, const std::vector<Snapshot>& snapshots,
                                    int threads);

}  // namespace hasteward::repo
