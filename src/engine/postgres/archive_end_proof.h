// Whether a replay "to the end of the archive" (a DR activation) consumed the archive's newest
// segment. PostgreSQL ends such a recovery at the first file restore_command reports missing, so
// a fetch that wrongly said "not archived" (an old wal-fetch that hid an I/O error, a stale
// listing) ends it early and the server promotes all the same: a segment's worth of commits
// silently gone. The proof compares where replay ended with the newest archived segment itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/archiving.h"
#include "platform/platform.h"

namespace hasteward::engine::postgres {

// pg_waldump's output (stdout and stderr, TZ=UTC) over the archived file `read` names, fetched as
// it says, with `waldump_args` before the file name. kStorage when the fetch failed (naming its
// exit status).
core::Result<std::string> DumpArchivedFile(platform::Platform& platform,
                                           const platform::Cluster& cluster,
                                           const ArchivedFileRead& read,
                                           const std::vector<std::string>& waldump_args);

// Whether `pg_waldump -r Transaction` output (TZ=UTC) holds a transaction record (commit, abort,
// or their prepared forms) that `query` counts: where PostgreSQL stops replay for a time target
// (recovery_target_time is checked at transaction records only).
bool HoldsTransaction(std::string_view output, const TransactionQuery& query);

enum class ReplayEndVerdict {
  kConsumed,       // replay reached the segment's end (a switch record ends it there)
  kStoppedBefore,  // replay never read into the segment
  kReadSegment,    // replay ended inside it: the archived segment must show no record after it
};

// Judges `replay_end` (pg_last_wal_replay_lsn() after recovery) against the newest archived
// segment, which starts at `segment_start`.
ReplayEndVerdict JudgeReplayEnd(uint64_t replay_end, uint64_t segment_start,
                                uint64_t segment_bytes);

// True when `pg_waldump -s <replay end>` output over the archived segment shows a WAL record:
// the archive held records past where replay ended. Its closing error alone (no valid record
// after the start, or one continuing into a segment that was never archived) is the end.
bool WaldumpShowsRecords(std::string_view output);

// restore_command with the server's substitutions for one file: %f the file name, %p the
// destination path, %% a percent sign (other % sequences are left as they are).
std::string ExpandRestoreCommand(std::string_view command, const std::string& file,
                                 const std::string& path);

}  // namespace hasteward::engine::postgres
