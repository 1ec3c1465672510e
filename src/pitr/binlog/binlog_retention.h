// pitr/binlog/binlog_retention: which archived binlog snapshots prune keeps (the binlog kind's
// Archive::DecideRetention), decided from the snapshots' tags (pitr/binlog/binlog_tags.h).
//
// A kept native base replays the transactions after its GTID position, so a piece is needed when
// it holds a transaction some kept base does not include (its GTID state after is not included
// in that base's position), unless a restore recorded after the piece rewound to a state the base
// includes (what lies beyond belongs to the abandoned future, which no restore replays). A piece
// with a transaction committed at or after the oldest kept base's time is needed too: the restore
// planner reads those to tell whether a base holds transactions after a time target.
//
// A restore rebuilds each file from its first piece (the header) onwards and uses it only up to
// its first missing piece, so a file with a needed piece keeps all of its pieces. The file the
// archiver continues (an open file in the newest snapshot) is kept whole too. Of any other file,
// pieces go only in a way that never leaves the archiver a file to continue without its start: an
// open file is kept whole or removed whole (the archiver archives a removed file again from its
// start if it ever needs it), a sealed one keeps every piece after its first kept one. Rewinds are
// kept for ever: without them, archivers and restores would take the abandoned future for
// history, and each is one small manifest per point-in-time restore. Snapshots without the tags
// (archived before they existed) are kept, as is everything when no kept native base has a
// readable GTID position.
#pragma once

#include <string>
#include <vector>

#include "engine/binlog_archiving.h"
#include "repo/maintenance/archive_retention.h"

namespace hasteward::pitr {

// One decision per piece, in order.
std::vector<repo::ArchivePieceDecision> DecideBinlogPieces(
    const engine::BinlogArchiving& binlogs,
    const std::vector<const repo::SnapshotMeta*>& kept_backups,
    const std::vector<const repo::SnapshotMeta*>& pieces);

}  // namespace hasteward::pitr
