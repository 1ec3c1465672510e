// repo/maintenance: the seam through which prune keeps exactly the archive pieces (snapshots of
// type=wal: WAL segments or binlogs for point-in-time recovery) that the kept backups still need.
// The repository layer does not know what a WAL segment or a start position is: the pitr layer
// implements ArchiveRetention for the engines that archive, and prune asks it once per cluster,
// after the backups' own retention has been decided.
#pragma once

#include <string>
#include <vector>

#include "repo/maintenance/retention_plan.h"

namespace hasteward::repo {

struct ArchivePieceDecision {
  bool keep = true;
  std::string reason;  // one line: "needed by base 3f2a9c1d (from 000000010000000000000005)"
};

class ArchiveRetention {
 public:
  virtual ~ArchiveRetention() = default;
  // For the archive pieces of one cluster (its `engine=` tag value), given the snapshots of that
  // cluster's backup group that the plan keeps: one decision per piece, in the order given. An
  // implementation that cannot tell keeps the piece (an unneeded piece costs space; a missing
  // one loses a recovery window).
  virtual std::vector<ArchivePieceDecision> Decide(
      const std::string& engine, const std::vector<const SnapshotMeta*>& kept_backups,
      const std::vector<const SnapshotMeta*>& pieces) const = 0;
};

}  // namespace hasteward::repo
