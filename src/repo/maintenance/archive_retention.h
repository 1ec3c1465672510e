// repo/maintenance: the seam through which prune keeps exactly the archive pieces (snapshots of
// type=wal: WAL segments or binlogs for point-in-time recovery) that the kept backups still need.
// The repository layer does not know what a WAL segment or a start position is: the pitr layer
// implements ArchiveRetention for the engines that archive, and prune asks it once per cluster,
// after the backups' own retention has been decided.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "repo/maintenance/retention_plan.h"
#include "repo/repository.h"

namespace hasteward::repo {

struct ArchivePieceDecision {
  bool keep = true;
  std::string reason;  // one line: "needed by base 3f2a9c1d (from 000000010000000000000005)"
};

// `count` decisions to keep, each for `reason` (when what the pieces serve cannot be decided).
inline std::vector<ArchivePieceDecision> KeepEveryPiece(size_t count, const std::string& reason) {
  return std::vector<ArchivePieceDecision>(count, ArchivePieceDecision{true, reason});
}

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

  // Called by prune for each cluster's group of pieces (type=wal) or backups (type=backup: the
  // index records the native bases) with some to remove, under its
  // exclusive lock and before it deletes them: what the archive keeps about the pieces beside
  // the snapshots (the WAL archive index, docs/pitr.md) must forget them first, so it never names
  // data prune is about to collect. An error stops prune with nothing deleted.
  virtual core::Status BeforeRemoval(Repository& repo, const PlanGroup& group) const {
    (void)repo;
    (void)group;
    return core::Status::Ok();
  }
};

}  // namespace hasteward::repo
