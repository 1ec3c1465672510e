#include "pitr/pitr_retention.h"

#include "engine/engine.h"
#include "pitr/archive.h"

namespace hasteward::pitr {

namespace {

std::vector<repo::ArchivePieceDecision> KeepAll(size_t count, const std::string& reason) {
  return std::vector<repo::ArchivePieceDecision>(count, repo::ArchivePieceDecision{true, reason});
}

}  // namespace

std::vector<repo::ArchivePieceDecision> PitrRetention::Decide(
    const std::string& engine, const std::vector<const repo::SnapshotMeta*>& kept_backups,
    const std::vector<const repo::SnapshotMeta*>& pieces) const {
  // Nothing proves a piece of an unknown archive unneeded: it stays.
  auto kind = platform::ParseEngineKind(engine);
  if (!kind.ok()) {
    return KeepAll(pieces.size(), "unknown engine '" + engine + "'");
  }
  auto made = engine::MakeEngine(*kind);
  if (!made.ok()) {
    return KeepAll(pieces.size(), "unknown engine '" + engine + "'");
  }
  auto archive = MakeArchive(**made);
  if (!archive.ok()) {
    return KeepAll(pieces.size(), "engine '" + engine + "' does not archive");
  }
  return (*archive)->DecideRetention(kept_backups, pieces);
}

}  // namespace hasteward::pitr
