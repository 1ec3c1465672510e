// dr/discovery: what a standby finds in its source's repository, computed from snapshot metadata
// only (pure functions, so tests craft the inputs).
//
// Which index: the repository's snapshot list. Every piece of the continuous archive is a
// snapshot too (type=wal), and each PostgreSQL WAL snapshot names its newest segment in a tag
// (wal_last, written for prune by pitr/wal/wal_push), so the archive's last position is read from
// the list without opening any piece's tree: discovery costs one listing of the snapshot files,
// never a walk of the archive's contents. Snapshot files never change once written, so a later
// slice can cache them by ID and read only the new ones (docs/standby.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/wal_names.h"
#include "platform/platform.h"
#include "repo/snapshot/snapshot.h"

namespace hasteward::dr {

// The verification evidence tags (verify/evidence.h; this layer sits beside verify and may not
// include it: tests/dr/discovery_test.cpp checks they stay equal).
inline constexpr char kVerifiesTag[] = "verifies";
inline constexpr char kVerdictTag[] = "verdict";
inline constexpr char kVerdictOk[] = "ok";
// The newest segment of a WAL snapshot (pitr/wal/wal_retention.h, checked the same way).
inline constexpr char kWalLastTag[] = "wal_last";
// Marks binlog snapshots among type=wal (catalog/binlog/binlog_catalog.h), and a restore's rewind
// record.
inline constexpr char kBinlogArchiveTag[] = "archive=binlog";
inline constexpr char kBinlogRewindTag[] = "binlog_rewind=yes";

// A position in a WAL archive: a whole segment on a timeline.
using WalPosition = catalog::WalSegment;

struct DiscoveredBackup {
  std::string id;  // full hex ID
  // When the backup ended: restic's summary.backup_end; the snapshot time (the job's start) for
  // a snapshot that records no end (written before ends were recorded).
  repo::GoTime end;
  bool end_recorded = false;
  bool native = false;
  // Native PostgreSQL backups: the segment holding the backup's stop position.
  std::optional<WalPosition> end_position;
};

struct ArchiveHead {
  size_t pieces = 0;            // archive snapshots of the cluster
  std::string newest_piece_id;  // the piece stored last (by its recorded end)
  repo::GoTime newest_piece_at;
  // The newest archived WAL segment (by timeline and number, never by time or name order);
  // unset for binlog archives (their positions live in manifests: not read in this slice).
  std::optional<WalPosition> wal;
};

// Every judgement about the standby (freshness, the retention cursor, Restorable, verification,
// the activation's audit) is about what an activation restores: a native base and the archive.
// A logical backup (a dump) is counted but never chosen: a standby "Fresh" on dumps while its
// WAL archive is broken would promise an activation it cannot perform (issue finding 4).
struct Discovery {
  size_t backups = 0;          // native type=backup snapshots of the source cluster
  size_t logical_backups = 0;  // its logical ones (dumps), which no activation restores
  size_t verifications = 0;
  std::optional<DiscoveredBackup> newest_backup;    // the newest native backup
  std::optional<DiscoveredBackup> newest_verified;  // newest native backup with an ok verification
  std::optional<ArchiveHead> archive;
};

// "the repository holds no native backup of the source cluster", naming the logical backups it
// holds instead (why a cluster backed up by dumps alone is no standby's source).
std::string NoNativeBackup(const Discovery& discovery);

// The end a snapshot records (summary.backup_end), else its time.
repo::GoTime RecordedEnd(const repo::Snapshot& snapshot);

// Finds, among `snapshots` (any order, any clusters), the source cluster's newest native backup by
// recorded end, its newest native backup that a verification with verdict ok names, and the
// archive's head. `wal_names` reads WAL names and positions (the empty naming for an engine
// without WAL archiving).
Discovery Discover(const std::vector<repo::Snapshot>& snapshots, const platform::Cluster& source,
                   const catalog::WalNames& wal_names);

}  // namespace hasteward::dr
