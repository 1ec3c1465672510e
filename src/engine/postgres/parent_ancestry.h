// engine/postgres/parent_ancestry: whether an incremental backup's parent lies on the live
// server's history. Two histories share a timeline and positions after a restore that kept its
// timeline (releases before the restore promoted to a new one) or after any other reuse of a
// timeline number: the same positions then name different data, and a parent from the other
// history would lend the backup pages the live database never held. The proof: the WAL of the
// parent's own interval [start, stop), as the parent stored it in its tree, is byte for byte the
// WAL the live server has at those positions (its pg_wal, else the archive; see the .cpp for why
// the archive can stand in).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/native_backup.h"
#include "engine/postgres/wal_interval.h"

namespace hasteward::engine::postgres {

struct ParentInterval {
  uint32_t timeline = 0;
  uint64_t start_lsn = 0;
  uint64_t stop_lsn = 0;
};

struct AncestryVerdict {
  FullReadReason reason = FullReadReason::kNone;  // kNone: proven an ancestor
  std::string detail;                             // what was compared, or what differed
};

// kNone when every byte of the parent's interval matches the live WAL (`live` sources, first
// holder wins); kParentNotAncestor naming the first segment that differs; kWalMissing or
// kWalUnreadable when no live source holds or reads a segment of it; kParentUnproven when the
// parent's tree lacks one or it cannot be read.
AncestryVerdict ProveParentAncestry(const ParentInterval& parent,
                                    const std::vector<RangedWalSource*>& live,
                                    const ParentFileReader& parent_file);

}  // namespace hasteward::engine::postgres
