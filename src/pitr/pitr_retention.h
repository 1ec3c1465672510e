// pitr: the archive retention prune uses (repo::ArchiveRetention). The engine's capabilities
// decide which archive a cluster has: WAL (engine::Archiving, pitr/wal/wal_retention.h) or binlogs
// (engine::BinlogArchiving, pitr/binlog/binlog_retention.h); an engine with neither keeps every
// piece.
#pragma once

#include <string>
#include <vector>

#include "pitr/binlog/binlog_retention.h"
#include "pitr/wal/wal_retention.h"
#include "repo/maintenance/archive_retention.h"

namespace hasteward::pitr {

class PitrRetention : public repo::ArchiveRetention {
 public:
  std::vector<repo::ArchivePieceDecision> Decide(
      const std::string& engine, const std::vector<const repo::SnapshotMeta*>& kept_backups,
      const std::vector<const repo::SnapshotMeta*>& pieces) const override;
  // The WAL archive index forgets the pieces (WalRetention); binlog archives keep no index.
  core::Status BeforeRemoval(repo::Repository& repo, const repo::PlanGroup& group) const override;

 private:
  WalRetention wal_;
  BinlogRetention binlog_;
};

}  // namespace hasteward::pitr
