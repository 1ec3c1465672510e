#include "pitr/pitr_retention.h"

#include "engine/binlog_archiving.h"
#include "engine/engine.h"

namespace hasteward::pitr {

std::vector<repo::ArchivePieceDecision> PitrRetention::Decide(
    const std::string& engine, const std::vector<const repo::SnapshotMeta*>& kept_backups,
    const std::vector<const repo::SnapshotMeta*>& pieces) const {
  // Binlog archives only where the engine keeps binlogs for HASteward; everything else (WAL
  // engines, and engine names this build does not know, which WalRetention keeps whole) goes to
  // the WAL retention.
  auto kind = platform::ParseEngineKind(engine);
  if (kind.ok()) {
    auto made = engine::MakeEngine(*kind);
    if (made.ok() && (*made)->binlog_archiving() != nullptr) {
      return binlog_.Decide(engine, kept_backups, pieces);
    }
  }
  return wal_.Decide(engine, kept_backups, pieces);
}

core::Status PitrRetention::BeforeRemoval(repo::Repository& repo,
                                          const repo::PlanGroup& group) const {
  return wal_.BeforeRemoval(repo, group);
}

}  // namespace hasteward::pitr
