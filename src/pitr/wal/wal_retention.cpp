#include "pitr/wal/wal_retention.h"

#include <optional>
#include <set>

#include "catalog/base_backup_record.h"
#include "catalog/wal/wal_index.h"
#include "engine/archiving.h"
#include "engine/engine.h"

namespace hasteward::pitr {

namespace {

std::string TagValue(const repo::SnapshotMeta& snapshot, const std::string& key) {
  const std::string prefix = key + "=";
  for (const std::string& tag : snapshot.tags) {
    if (tag.rfind(prefix, 0) == 0) {
      return tag.substr(prefix.size());
    }
  }
  return {};
}

// The segment the oldest kept native base starts replaying from, and that base.
struct OldestStart {
  uint64_t segment = 0;
  std::string segment_name;
  std::string base_id;
};

std::optional<OldestStart> OldestKeptStart(
    const std::vector<const repo::SnapshotMeta*>& kept_backups,
    const engine::Archiving& archiving) {
  std::optional<OldestStart> oldest;
  for (const repo::SnapshotMeta* backup : kept_backups) {
    // Dumps replay nothing; a native base without a readable start position cannot say what it
    // needs, so it does not lower the floor (its pieces are judged by the other bases' floor
    // only when one exists — see below).
    if (!catalog::IsNativeBackup(backup->tags)) {
      continue;
    }
    auto record = catalog::RecordOfFacts(catalog::TagFacts(backup->tags));
    if (!record.ok() || !record->start()) {
      return std::nullopt;  // unreadable: keep everything rather than guess
    }
    const catalog::WalPosition start = *record->start();
    uint64_t segment = start.lsn / archiving.SegmentBytes();
    if (!oldest || segment < oldest->segment) {
      oldest = OldestStart{segment, archiving.SegmentFileName(start.timeline, segment),
                           backup->id.substr(0, 8)};
    }
  }
  return oldest;
}

}  // namespace

std::vector<repo::ArchivePieceDecision> DecideWalPieces(
    const engine::Archiving& archiving, const std::vector<const repo::SnapshotMeta*>& kept_backups,
    const std::vector<const repo::SnapshotMeta*>& pieces) {
  std::optional<OldestStart> oldest = OldestKeptStart(kept_backups, archiving);
  if (!oldest) {
    // No kept base says where replay starts (only dumps are kept, or a base's start position is
    // unreadable): nothing proves a piece unneeded, so all stay.
    return repo::KeepEveryPiece(pieces.size(),
                                "no kept native base backup with a readable start position");
  }
  std::vector<repo::ArchivePieceDecision> decisions;
  decisions.reserve(pieces.size());
  for (const repo::SnapshotMeta* piece : pieces) {
    if (!TagValue(*piece, kWalHistoryTag).empty()) {
      decisions.push_back({true, "holds a timeline history file (kept for ever)"});
      continue;
    }
    auto last = archiving.ParseFileName(TagValue(*piece, kWalLastTag));
    if (!last.ok()) {
      decisions.push_back({true, "newest segment unknown (no readable wal_last tag)"});
      continue;
    }
    // Segment numbers grow across timelines (a new timeline starts at its parent's switch
    // point), so comparing numbers alone is safe: a piece is unneeded only when even its newest
    // segment lies before the segment the oldest kept base starts from.
    if (last->segment < oldest->segment) {
      decisions.push_back({false, "before the oldest kept base " + oldest->base_id +
                                      " (starts at '" + oldest->segment_name + "')"});
    } else {
      decisions.push_back(
          {true, "needed by base " + oldest->base_id + " (from '" + oldest->segment_name + "')"});
    }
  }
  return decisions;
}

core::Status ForgetPrunedWal(repo::Repository& repo, const repo::PlanGroup& group) {
  auto kind = platform::ParseEngineKind(group.engine);
  if (!kind.ok()) {
    return core::Status::Ok();  // no index is written for an engine this build does not know
  }
  platform::Cluster cluster;
  cluster.engine = *kind;
  cluster.ns = group.namespace_name;
  cluster.name = group.cluster;
  std::set<repo::Id> removed;
  for (const repo::PlannedSnapshot& snapshot : group.snapshots) {
    auto id = repo::IdFromHex(snapshot.id);
    if (!snapshot.keep && id.ok()) {
      removed.insert(*id);
    }
  }
  HS_ASSIGN_OR_RETURN(catalog::WalIndex index, catalog::WalIndex::Open(repo, cluster));
  if (!index.exists()) {
    return core::Status::Ok();  // built from the remaining snapshots when next needed
  }
  // A backup group's removed snapshots are bases, a WAL group's pieces: the same rewrite drops
  // whichever the index names.
  HS_ASSIGN_OR_RETURN(catalog::WalIndexSummary summary, index.ReadSummary());
  std::vector<catalog::IndexedBase> bases;
  for (const auto& [id, base] : summary.bases) {
    if (removed.count(id) == 0) {
      bases.push_back(base);
    }
  }
  const bool bases_removed = bases.size() != summary.bases.size();
  if (group.type != repo::SnapshotType::kWal && !bases_removed) {
    return core::Status::Ok();  // no base it removes is indexed: nothing to read further
  }
  HS_ASSIGN_OR_RETURN(std::vector<catalog::WalIndexEntry> entries, index.ReadAll());
  const size_t before = entries.size();
  std::erase_if(entries,
                [&](const catalog::WalIndexEntry& entry) { return removed.count(entry.snapshot); });
  if (entries.size() == before && !bases_removed) {
    return core::Status::Ok();
  }
  core::Status replaced = index.Replace(entries, bases);
  if (!replaced.ok()) {
    return replaced.Wrap("remove pruned WAL from the archive index of '" + cluster.ns + "/" +
                         cluster.name + "'");
  }
  return core::Status::Ok();
}

}  // namespace hasteward::pitr
