// pitr/wal/wal_retention: which archived WAL pieces prune keeps (the WAL kind's
// Archive::DecideRetention). A base backup replays from its start position onwards, so the pieces
// the kept backups need are those holding any segment at or after the oldest kept native base's
// start segment; older pieces serve only bases that are being removed. Timeline history files
// are kept for ever (the server reads them to choose a timeline, and they are tiny).
#pragma once

#include <string>
#include <vector>

#include "engine/archiving.h"
#include "repo/maintenance/archive_retention.h"

namespace hasteward::pitr {

// The tags a WAL snapshot carries so that prune can decide from the listing alone, without
// reading every piece's tree: its newest segment and whether it holds a history file.
constexpr const char* kWalLastTag = "wal_last";
constexpr const char* kWalHistoryTag = "wal_history";

// One decision per piece, in order.
std::vector<repo::ArchivePieceDecision> DecideWalPieces(
    const engine::Archiving& archiving, const std::vector<const repo::SnapshotMeta*>& kept_backups,
    const std::vector<const repo::SnapshotMeta*>& pieces);

// Removes the group's removed snapshots from the cluster's archive index (wal_index.h): the
// entries naming those WAL pieces and the bases naming those native backups go, the rest is
// written back merged. Errors: the index's storage and corruption errors (prune then deletes
// nothing).
core::Status ForgetPrunedWal(repo::Repository& repo, const repo::PlanGroup& group);

}  // namespace hasteward::pitr
