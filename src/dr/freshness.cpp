#include "dr/freshness.h"

#include <algorithm>

namespace hasteward::dr {

namespace {

// The exact age (a recorded time keeps nanoseconds): truncating both ends to whole seconds made
// a backup 2.9 s old look 2 s old, so a bound of 2 s never tripped until a full second later.
std::chrono::nanoseconds Age(const repo::GoTime& at, std::chrono::system_clock::time_point now) {
  auto at_point = std::chrono::seconds(at.unix_seconds) + std::chrono::nanoseconds(at.nanos);
  auto age =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()) - at_point;
  return std::max(age, std::chrono::nanoseconds::zero());
}

// Whole seconds, for the report and messages.
int64_t WholeSeconds(std::chrono::nanoseconds age) {
  return std::chrono::duration_cast<std::chrono::seconds>(age).count();
}

std::string Seconds(int64_t seconds) {
  return std::to_string(seconds) + "s";
}

// Whole segments from the archive's head to the backup's end segment; -1 when the backup is on a
// newer timeline than the archive reached (behind, by an amount the names cannot tell).
int64_t Backlog(const WalPosition& archived, const WalPosition& backup_end) {
  if (archived.timeline > backup_end.timeline) {
    return 0;
  }
  if (archived.timeline < backup_end.timeline) {
    return -1;
  }
  return backup_end.segment > archived.segment
             ? static_cast<int64_t>(backup_end.segment - archived.segment)
             : 0;
}

Freshness Behind(const DiscoveredBackup& backup, const ArchiveHead& archive,
                 std::chrono::system_clock::time_point now, std::chrono::seconds max_staleness) {
  Freshness result;
  result.backlog_segments = Backlog(*archive.wal, *backup.end_position);
  std::chrono::nanoseconds age = Age(backup.end, now);
  int64_t since_backup = WholeSeconds(age);
  result.evidence_age_seconds = since_backup;
  std::string backlog = result.backlog_segments < 0
                            ? std::string("a newer timeline")
                            : std::to_string(result.backlog_segments) + " segment(s)";
  std::string what = "backup " + backup.id.substr(0, 8) + " ended in " + backup.end_position->name +
                     " but the archive ends at " + archive.wal->name + " (" + backlog +
                     " not archived)";
  if (age > max_staleness) {
    result.state = FreshnessState::kArchiveBehind;
    result.stale = true;
    result.message = what + " for " + Seconds(since_backup) + ", longer than maxStaleness " +
                     Seconds(max_staleness.count()) + ": the source's archiving stopped";
  } else {
    result.state = FreshnessState::kCatchingUp;
    result.message = what + "; " + Seconds(since_backup) + " since, within maxStaleness";
  }
  return result;
}

FreshnessState CompletedState(const Discovery& discovery) {
  const DiscoveredBackup& backup = *discovery.newest_backup;
  if (!discovery.archive) {
    return FreshnessState::kBackupsOnly;
  }
  if (!discovery.archive->wal || !backup.end_position) {
    return FreshnessState::kPositionUnknown;
  }
  // Only reached with no backlog: the head is the backup's end segment or past it.
  return discovery.archive->wal->timeline == backup.end_position->timeline &&
                 discovery.archive->wal->segment == backup.end_position->segment
             ? FreshnessState::kSourceIdle
             : FreshnessState::kArchiveCurrent;
}

std::string CompletedMessage(FreshnessState state, const Discovery& discovery) {
  const DiscoveredBackup& backup = *discovery.newest_backup;
  switch (state) {
    case FreshnessState::kSourceIdle:
      return "the archive ends at " + discovery.archive->wal->name + ", where backup " +
             backup.id.substr(0, 8) + " ended: nothing was written since";
    case FreshnessState::kArchiveCurrent:
      return discovery.archive->wal
                 ? "the archive reaches " + discovery.archive->wal->name +
                       ", past the newest backup's end"
                 : "the archive holds " + std::to_string(discovery.archive->pieces) + " piece(s)";
    case FreshnessState::kPositionUnknown:
      return "archive and backup positions cannot be compared (binlog archive or a dump "
             "backup): freshness is judged by time only";
    case FreshnessState::kBackupsOnly:
      return "no archive: a restore reaches the end of backup " + backup.id.substr(0, 8) + " only";
    default: return "";
  }
}

}  // namespace

const char* FreshnessStateName(FreshnessState state) {
  switch (state) {
    case FreshnessState::kNoBackups: return "NoBackups";
    case FreshnessState::kArchiveCurrent: return "ArchiveCurrent";
    case FreshnessState::kSourceIdle: return "SourceIdle";
    case FreshnessState::kCatchingUp: return "ArchiveCatchingUp";
    case FreshnessState::kArchiveBehind: return "ArchiveBehind";
    case FreshnessState::kSourceSilent: return "SourceSilent";
    case FreshnessState::kPositionUnknown: return "PositionUnknown";
    case FreshnessState::kBackupsOnly: return "BackupsOnly";
  }
  return "Unknown";
}

Freshness EvaluateFreshness(const Discovery& discovery, std::chrono::system_clock::time_point now,
                            std::chrono::seconds max_staleness) {
  Freshness result;
  if (!discovery.newest_backup) {
    result.message = NoNativeBackup(discovery);
    return result;
  }
  const DiscoveredBackup& backup = *discovery.newest_backup;
  const auto& archive = discovery.archive;
  if (archive && archive->wal && backup.end_position &&
      Backlog(*archive->wal, *backup.end_position) != 0) {
    return Behind(backup, *archive, now, max_staleness);
  }
  std::chrono::nanoseconds age = Age(backup.end, now);
  if (archive) {
    age = std::min(age, Age(archive->newest_piece_at, now));
  }
  int64_t evidence_age = WholeSeconds(age);
  result.evidence_age_seconds = evidence_age;
  if (age > max_staleness) {
    result.state = FreshnessState::kSourceSilent;
    result.stale = true;
    result.message = "no backup ended and no archive piece was stored for " +
                     Seconds(evidence_age) + ", longer than maxStaleness " +
                     Seconds(max_staleness.count()) +
                     ": the source or its link to the repository is gone";
    return result;
  }
  result.state = CompletedState(discovery);
  result.backlog_segments = archive && archive->wal && backup.end_position ? 0 : -1;
  result.message = CompletedMessage(result.state, discovery);
  return result;
}

}  // namespace hasteward::dr
