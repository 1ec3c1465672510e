// pitr/pitr_retention: the archive retention prune uses (repo::ArchiveRetention). The cluster's
// engine names its archive (pitr::MakeArchive), which decides; an engine without an archive, or
// one this build does not know, keeps every piece.
#pragma once

#include <string>
#include <vector>

#include "repo/maintenance/archive_retention.h"

namespace hasteward::pitr {

class PitrRetention : public repo::ArchiveRetention {
 public:
  std::vector<repo::ArchivePieceDecision> Decide(
      const std::string& engine, const std::vector<const repo::SnapshotMeta*>& kept_backups,
      const std::vector<const repo::SnapshotMeta*>& pieces) const override;
  // Before prune deletes archived pieces: the archive's own records of them go first
  // (Archive::BeforeRemoval).
  core::Status BeforeRemoval(repo::Repository& repo, const repo::PlanGroup& group) const override;
};

}  // namespace hasteward::pitr
