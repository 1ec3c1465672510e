// dr/freshness: how current the source's archive is, measured as position and backlog, with an
// explicit "source idle" state. Never the bare age of the last object: PostgreSQL does not switch
// empty segments, so an idle source archives nothing for days and an age alarm would fire forever
// on it, while a "last push succeeded" flag never notices that archiving stopped.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "dr/discovery.h"

namespace hasteward::dr {

enum class FreshnessState {
  kNoBackups,        // nothing to measure against (Stale unknown)
  kArchiveCurrent,   // the archive moved past the newest backup's end
  kSourceIdle,       // the archive ends exactly where the newest backup ended: nothing since
  kCatchingUp,       // a backup ended past the archive, less than max staleness ago
  kArchiveBehind,    // ... and more than max staleness ago: archiving stopped (Stale)
  kSourceSilent,     // nothing at all within max staleness: source or link gone (Stale)
  kPositionUnknown,  // archive and backups present, positions not comparable; within the bound
  kBackupsOnly,      // no archive: a restore reaches the newest backup's end only
};

// "NoBackups", "ArchiveCurrent", "SourceIdle", ...: the condition reason.
const char* FreshnessStateName(FreshnessState state);

struct Freshness {
  FreshnessState state = FreshnessState::kNoBackups;
  bool stale = false;
  // Whole segments the newest backup proves written but not archived (-1: not measurable).
  int64_t backlog_segments = -1;
  // Seconds since the newest evidence that the source was alive (a backup's end or a piece).
  int64_t evidence_age_seconds = -1;
  std::string message;
};

// The rule (decided in this order):
// 1. No backup of the source: nothing to measure (kNoBackups, not stale, not fresh).
// 2. The newest backup's end position is past the archive's newest segment: the source wrote WAL
//    that is not archived; the backup proves it, so this is not an idle source. Within
//    `max_staleness` of that backup's end the archiver may still catch up (kCatchingUp); past it,
//    archiving stopped (kArchiveBehind, Stale) whatever the age of anything else.
// 3. Nothing (no backup end, no archived piece) within `max_staleness`: Stale (kSourceSilent). An
//    idle source still takes its scheduled backups, so silence longer than the bound means the
//    source or its link to the repository is gone; set maxStaleness above the backup interval.
// 4. The archive's newest segment is the one holding the newest backup's end: the archive is
//    complete up to the last position the source is known to have reached and nothing was
//    written since (kSourceIdle, not Stale), however old the last piece is. Past it:
//    kArchiveCurrent. Positions not comparable (binlog archive, dump backup): kPositionUnknown.
//    No archive: kBackupsOnly.
Freshness EvaluateFreshness(const Discovery& discovery, std::chrono::system_clock::time_point now,
                            std::chrono::seconds max_staleness);

}  // namespace hasteward::dr
