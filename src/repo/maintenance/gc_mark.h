// repo/maintenance: which blobs are still used — every tree reachable from the given snapshots'
// root trees and every data blob their files reference (restic-format.md §11.2 step 1).
#pragma once

#include <vector>

#include "core/status.h"
#include "repo/maintenance/gc_plan.h"
#include "repo/repository.h"
#include "repo/snapshot/snapshot.h"

namespace hasteward::repo {

// Walks the trees of `snapshots` (each tree loaded once, `threads` at a time) through the loaded
// index. Errors: kCorruption naming the blob and the snapshot when a used blob is not in the
// index (restic's rule: prune must delete nothing then) or a tree does not decode; storage errors
// as they come.
core::Result<BlobSet> MarkUsedBlobs(Repository& repo, const std::vector<Snapshot>& snapshots,
                                    int threads);

}  // namespace hasteward::repo
