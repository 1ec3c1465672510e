// engine/postgres/new_timeline: every restore starts a new history. A restored data directory
// replays the WAL its tree holds in archive recovery (recovery.signal, no target) and is promoted
// at its end, so the server writes on a new timeline instead of continuing the backup's: the WAL it
// writes then never takes names the backup's history (or the WAL archive) already used, and an
// incremental backup, the discard gate and repair tell the two histories apart by timeline.
//
// PostgreSQL picks the new timeline as one above the newest whose history file it can find
// (pg_wal, then restore_command). A timeline number names a history only if no two histories
// ever take it, so the restore makes every timeline it knows to be taken findable: those of the
// repository's snapshots of this system (jobs passes the newest), those of the cluster's
// instances and the copies kept beside them, and, through the server's own restore_command, the
// WAL archive's history files. The markers it serves for them are only probed for existence
// (recovery_target_timeline = 'current': replay never follows them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::engine::postgres {

// restore_command's value in postgresql.auto.conf text (the last setting wins, '' unescaped);
// nullopt when it sets none. Pure, unit-tested.
std::optional<std::string> AutoConfRestoreCommand(const std::string& auto_conf);

// The recovery settings of a plain restore: archive recovery through the WAL the tree holds, then
// a promotion; the history files of timelines up to `taken` come from `marker_dir` (a file each),
// other history files from `history_command` (the server's own restore_command; "" for none),
// segments from pg_wal only. Pure, unit-tested.
std::string NewTimelineSettings(const std::string& marker_dir, const std::string& history_command);

// The newest timeline of which any instance of `cluster` holds a history file, in its data
// directory or in a copy kept beside it (<data dir>.hasteward-*); 1 when none does.
core::Result<uint32_t> NewestTimelineOnInstances(platform::Platform& platform,
                                                 const platform::Cluster& cluster);

struct NewTimelineRequest {
  uint32_t backup_timeline = 1;  // the restored backup's
  uint32_t taken = 1;            // every timeline up to this one is another history's
  // The backup goes to another cluster (a sandbox, a DR site): its archive is not this copy's.
  bool into_another_cluster = false;
};

// After the restored tree is in place, before the server starts: the markers and the settings.
// Returns the restore_command the data directory had before (to be set back).
core::Result<std::optional<std::string>> PrepareNewTimeline(platform::Platform& platform,
                                                            const platform::Cluster& cluster,
                                                            const platform::Instance& target,
                                                            const NewTimelineRequest& request);

// Once the server was promoted: the recovery settings removed (restore_command set back to
// `previous_restore_command`), the markers removed; the new timeline, checked above `taken`
// (kVerifyFailed otherwise: the server could not be made to leave the known histories).
core::Result<uint32_t> FinishNewTimeline(
    platform::Platform& platform, const platform::Cluster& cluster,
    const platform::Instance& target, const NewTimelineRequest& request,
    const std::optional<std::string>& previous_restore_command);

}  // namespace hasteward::engine::postgres
