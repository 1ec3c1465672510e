#include "dr/discovery.h"

#include <algorithm>
#include <set>
#include <utility>

#include "catalog/base_backup_record.h"
#include "jobs/jobs.h"
#include "jobs/native_backup.h"
#include "repo/format/go_json.h"

namespace hasteward::dr {

namespace {

bool HasAllTags(const repo::Snapshot& snapshot, const std::vector<std::string>& tags) {
  return std::all_of(tags.begin(), tags.end(),
                     [&snapshot](const std::string& tag) { return snapshot.HasTag(tag); });
}

// Later end first; equal ends order by ID so the choice never depends on listing order.
bool EndsLater(const DiscoveredBackup& candidate, const DiscoveredBackup& current) {
  if (current.end < candidate.end) {
    return true;
  }
  return !(candidate.end < current.end) && candidate.id > current.id;
}

// The segment holding a native backup's stop position. A stop position exactly on a segment
// boundary belongs to the segment before it: the next one may never be written (an idle server),
// and waiting for it would report a backlog that is not there.
std::optional<WalPosition> StopSegment(const repo::Snapshot& snapshot,
                                       const catalog::WalNames& wal_names) {
  auto record = catalog::DecodeBaseBackup(snapshot);
  if (!record.ok() || !record->stop()) {
    return std::nullopt;
  }
  return wal_names.SegmentEndingAt(*record->stop());
}

DiscoveredBackup Describe(const repo::Snapshot& snapshot, const catalog::WalNames& wal_names) {
  DiscoveredBackup backup;
  backup.id = repo::IdToHex(snapshot.id);
  backup.end = RecordedEnd(snapshot);
  backup.end_recorded = snapshot.backup_end.has_value();
  backup.native = catalog::IsNativeBackup(snapshot);
  if (backup.native) {
    backup.end_position = StopSegment(snapshot, wal_names);
  }
  return backup;
}

bool Later(const WalPosition& candidate, const WalPosition& current) {
  return candidate.timeline != current.timeline ? candidate.timeline > current.timeline
                                                : candidate.segment > current.segment;
}

void AddPiece(const repo::Snapshot& snapshot, const catalog::WalNames& wal_names,
              ArchiveHead& head) {
  ++head.pieces;
  repo::GoTime at = RecordedEnd(snapshot);
  if (head.newest_piece_id.empty() || head.newest_piece_at < at) {
    head.newest_piece_id = repo::IdToHex(snapshot.id);
    head.newest_piece_at = at;
  }
  if (snapshot.HasTag(kBinlogArchiveTag)) {
    return;
  }
  // Whole and partial segments only: a history file has no position, and a backup label names
  // the segment its backup started in, not one archived.
  std::optional<WalPosition> position = wal_names.ParseSegmentFile(snapshot.TagValue(kWalLastTag));
  if (position && (!head.wal || Later(*position, *head.wal))) {
    head.wal = position;
  }
}

}  // namespace

std::string NoNativeBackup(const Discovery& discovery) {
  std::string text = "the repository holds no native backup of the source cluster";
  if (discovery.logical_backups > 0) {
    text += " (only " + std::to_string(discovery.logical_backups) +
            " logical backup(s), which an activation cannot restore: it replays the archive "
            "onto a native base)";
  }
  return text;
}

repo::GoTime RecordedEnd(const repo::Snapshot& snapshot) {
  return snapshot.backup_end ? *snapshot.backup_end : snapshot.time;
}

Discovery Discover(const std::vector<repo::Snapshot>& snapshots, const platform::Cluster& source,
                   const catalog::WalNames& wal_names) {
  const auto backup_tags = jobs::SnapshotTags(source, repo::SnapshotType::kBackup, "");
  const auto verification_tags = jobs::SnapshotTags(source, repo::SnapshotType::kVerification, "");
  const auto archive_tags = jobs::SnapshotTags(source, repo::SnapshotType::kWal, "");
  Discovery found;
  std::set<std::string> verified_ids;
  std::vector<DiscoveredBackup> backups;
  for (const auto& snapshot : snapshots) {
    if (HasAllTags(snapshot, verification_tags)) {
      ++found.verifications;
      if (snapshot.TagValue(kVerdictTag) == kVerdictOk) {
        verified_ids.insert(snapshot.TagValue(kVerifiesTag));
      }
    } else if (HasAllTags(snapshot, archive_tags)) {
      if (!snapshot.HasTag(kBinlogRewindTag)) {
        found.archive = found.archive.value_or(ArchiveHead{});
        AddPiece(snapshot, wal_names, *found.archive);
      }
    } else if (HasAllTags(snapshot, backup_tags)) {
      DiscoveredBackup backup = Describe(snapshot, wal_names);
      if (backup.native) {
        backups.push_back(std::move(backup));
      } else {
        ++found.logical_backups;
      }
    }
  }
  found.backups = backups.size();
  for (const auto& backup : backups) {
    if (!found.newest_backup || EndsLater(backup, *found.newest_backup)) {
      found.newest_backup = backup;
    }
    if (verified_ids.count(backup.id) > 0 &&
        (!found.newest_verified || EndsLater(backup, *found.newest_verified))) {
      found.newest_verified = backup;
    }
  }
  return found;
}

}  // namespace hasteward::dr
