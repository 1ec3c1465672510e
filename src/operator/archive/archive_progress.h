// operator/archive/archive_progress: what `serve` knows about one cluster's continuous archive. It
// comes from the lines the cluster's archiver child prints (`archive binlog --follow --json`, one
// per cycle, a failed cycle included) and from `pitr status --json`, read again at an interval.
// Pure: parsing and the lag arithmetic; the processes are archive_supervisor.h's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "engine/archiving.h"

namespace hasteward::op {

// The recoverable window(s) `pitr status` reported, reduced to what metrics show.
struct PitrWindowSummary {
  double start = 0;  // unix seconds: the oldest recoverable base backup (0: none is recoverable)
  double end = 0;    // the newest point a restore can reach (0: none is recoverable)
  int64_t gaps = 0;  // distinct gaps after the windows of usable (not abandoned) bases
  int64_t bases = 0;
};

struct ArchiveProgress {
  std::string ns;
  std::string name;
  std::string engine;
  bool archiver = false;  // serve runs an archiver (binlogs); PostgreSQL's server archives itself
  bool running = false;   // the archiver child runs now
  int64_t restarts = 0;   // children started again after one ended
  int64_t cycles_ok = 0;  // cycles reported by the children
  int64_t cycles_failed = 0;
  // Unix seconds when a successful cycle listed the writer's binlogs: every whole transaction it
  // had written then is archived. 0 until a cycle succeeded.
  double covered_at = 0;
  // The writer's binlog beyond the archive, as last measured (a failed cycle measures it too,
  // against what the archive held); nullopt when never measured.
  std::optional<int64_t> files_behind;
  std::optional<int64_t> bytes_behind;
  std::string position;               // the GTID state the archive reaches ("" when unknown)
  int64_t last_transaction_time = 0;  // commit time of the newest archived transaction
  std::string last_error;             // the last failed cycle's, "" after a successful one
  // PostgreSQL: whether the server archives through hasteward's wal-push (nullopt until read).
  std::optional<bool> enabled;
  // PostgreSQL's WAL agent (`wal-agent`, which the server's wal-push hands its files to) when
  // serve runs one: whether it runs, how often it was started again, and what it answered.
  bool agent = false;
  bool agent_running = false;
  int64_t agent_restarts = 0;
  int64_t agent_requests = 0;        // wal-push calls answered (a refusal included)
  int64_t agent_files_archived = 0;  // files stored (the requested ones and the queued ones)
  int64_t agent_errors = 0;          // requests answered with an error
  // PostgreSQL's synchronous WAL receiver (`wal-receive`) when the cluster has pitrSync on: its
  // durable position (what the repository holds, as a WAL byte position), whether the primary
  // waits for it, and its fallbacks (operator/archive/archive_supervisor.h).
  bool receiver = false;
  bool receiver_running = false;
  int64_t receiver_restarts = 0;
  std::optional<uint64_t> receiver_durable;
  std::optional<uint64_t> receiver_received;
  std::optional<bool> receiver_synchronous;
  int64_t receiver_fallbacks = 0;
  int64_t receiver_watchdog_releases = 0;  // times serve released commits that waited too long
  bool receiver_repository_down = false;
  std::optional<PitrWindowSummary> window;  // nullopt until `pitr status` was read once
  std::string window_error;                 // the last failed `pitr status`, "" when it worked

  std::string Key() const { return ns + "/" + name; }
};

// Applies one line of the archiver's output; false (nothing changed) when the line is not a cycle
// report (a log line, a partial line).
bool ApplyCycleLine(const std::string& line, ArchiveProgress& progress);

// Applies one line of the WAL agent's output (`wal-agent --json`, one per answered request);
// false (nothing changed) for any other line.
bool ApplyAgentLine(const std::string& line, ArchiveProgress& progress);

// Applies one line of the WAL receiver's output (`wal-receive --json`, one per store and per
// change of state); false (nothing changed) for any other line.
bool ApplyReceiverLine(const std::string& line, ArchiveProgress& progress);

// Applies one line of MariaDB's binlog receiver (`archive binlog --sync --json`, one per store and
// per reading of the writer's state): the receiver's fields, and, being the cluster's archiver,
// what the archive covers (covered_at: everything the writer had sent is stored) and reaches.
bool ApplyBinlogReceiverLine(const std::string& line, ArchiveProgress& progress);

// Applies what a PostgreSQL server's archiver reported at `read_at` (unix seconds): the queue is
// the lag in files, the last archived file the position. With nothing queued the archive holds
// every complete segment at `read_at`; otherwise only what was archived by the last success.
void ApplyServerArchiver(const engine::ArchiverState& state, uint64_t segment_bytes, double read_at,
                         ArchiveProgress& progress);

// The window summary of `pitr status --json` output (either archive's shape: binlog or WAL).
// kCorruption when the text is not such a status.
core::Result<PitrWindowSummary> SummarizePitrStatus(const std::string& json_text);

// The archive lag at `now` (unix seconds): how long ago the newest moment is that the archive is
// known to hold everything the writer had committed. nullopt before the first successful cycle.
std::optional<double> LagSeconds(const ArchiveProgress& progress, double now);

}  // namespace hasteward::op
