#include "pitr/pitr_retention.h"

#include "engine/engine.h"
#include "pitr/archive.h"

namespace hasteward::pitr {

namespace {

// The archive of the engine named `engine`; an error for a name this build does not know or an
// engine without an archive.
core::Result<std::unique_ptr<Archive>> ArchiveOf(const std::string& engine,
                                                 std::unique_ptr<engine::Engine>& holder) {
  HS_ASSIGN_OR_RETURN(platform::EngineKind kind, platform::ParseEngineKind(engine));
  HS_ASSIGN_OR_RETURN(holder, engine::MakeEngine(kind));
  return MakeArchive(*holder);
}

}  // namespace

std::vector<repo::ArchivePieceDecision> PitrRetention::Decide(
    const std::string& engine, const std::vector<const repo::SnapshotMeta*>& kept_backups,
    const std::vector<const repo::SnapshotMeta*>& pieces) const {
  // Nothing proves a piece of an unknown archive unneeded: it stays.
  if (!platform::ParseEngineKind(engine).ok()) {
    return repo::KeepEveryPiece(pieces.size(), "unknown engine '" + engine + "'");
  }
  std::unique_ptr<engine::Engine> holder;
  auto archive = ArchiveOf(engine, holder);
  if (!archive.ok()) {
    return repo::KeepEveryPiece(pieces.size(), "engine '" + engine + "' does not archive");
  }
  return (*archive)->DecideRetention(kept_backups, pieces);
}

core::Status PitrRetention::BeforeRemoval(repo::Repository& repo,
                                          const repo::PlanGroup& group) const {
  std::unique_ptr<engine::Engine> holder;
  auto archive = ArchiveOf(group.engine, holder);
  if (!archive.ok()) {
    return core::Status::Ok();  // an archive this build does not know keeps nothing beside
  }
  return (*archive)->BeforeRemoval(repo, group);
}

}  // namespace hasteward::pitr
