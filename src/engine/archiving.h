// engine/archiving: the Archiving capability — what an engine knows about its continuous archive
// (PostgreSQL: WAL segments and timeline history files) for point-in-time recovery. The engine
// names and orders archive files, finds the files its server has queued for archiving, turns the
// server's archiving on, and (engine/native_backup.h, NativeRestoreOptions::recovery) replays a
// restored base backup up to a target. It never sees the repository: the pitr layer stores and
// fetches the files (pitr/wal/wal_archive.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/wal_stream.h"
#include "platform/platform.h"

namespace hasteward::engine {

enum class ArchiveFileKind {
  kSegment,      // a whole WAL segment
  kPartial,      // the last, partial segment of a timeline the server left at a promotion
  kHistory,      // a timeline history file: never overwritten, never deleted
  kBackupLabel,  // a ".backup" file the server archives after a base backup
};

// A parsed archive file name.
struct ArchiveFile {
  std::string name;  // the bare file name ("000000010000000000000003")
  ArchiveFileKind kind = ArchiveFileKind::kSegment;
  uint32_t timeline = 0;
  uint64_t segment = 0;  // segment number on its timeline (0 for history files)
};

// One line of a timeline history file: timeline `parent` ended, and the next timeline of the
// history began, at `switch_position`.
struct TimelineBranch {
  uint32_t parent = 0;
  uint64_t switch_position = 0;
};

// Where a point-in-time restore stops. kEndOfArchive: no target for the server, which replays
// until the next archived file is missing and then promotes (a DR activation's "last archived
// position", dr/activation.h); `target` is then the start of the last archived segment, which
// replay must have reached, so a gap or a failed fetch earlier is never taken for the end.
enum class RecoveryTargetKind { kTime, kPosition, kEndOfArchive };

struct RecoveryRequest {
  // The server's command for fetching an archived file (hasteward wal-fetch ...).
  std::string restore_command;
  // The same fetch as a command run anywhere on the instance (the end-of-archive proof's read,
  // through its exec, whose working directory is not the data directory); "" = restore_command.
  std::string read_command;
  RecoveryTargetKind kind = RecoveryTargetKind::kTime;
  // In the engine's own syntax: "2026-11-22 16:40:01.123456+00" (kTime) or "0/3000A38" (kPosition,
  // kEndOfArchive).
  std::string target;
  // The timeline replay follows (the base's, or a descendant whose history the archive holds):
  // explicit, so that what the plan checked is what the server replays.
  uint32_t timeline = 0;
  // kEndOfArchive: the newest archived segment's file name. Replay must consume it to its last
  // record; ending anywhere before (a fetch that called it "not archived") fails the restore.
  std::string last_file;
};

// An archived file read where an instance lives: the server's `restore_command` fetches `name`
// into `scratch` on `instance`'s host, as its OS user; the scratch directory is removed afterwards.
struct ArchivedFileRead {
  const platform::Instance* instance = nullptr;
  std::string restore_command;
  std::string name;
  std::string scratch;
};

// The commands a server runs to archive and fetch its files (built by the pitr layer; they name
// the repository and a password file, never a password).
// The transaction records a time target's proof looks for in an archived segment.
struct TransactionQuery {
  int64_t at_or_after_micros = 0;  // the record's time, UTC
  // When set, only a record replay reaches before it leaves the segment's timeline at this switch
  // position counts (its predecessor begins before the switch): the segment is the parent
  // timeline's copy of the one holding the switch, read because the child's copy is not archived,
  // and past the switch it holds the future the child abandoned.
  std::optional<uint64_t> reached_before_switch;
};

struct ArchiveCommands {
  std::string archive_command;
  std::string restore_command;
  // Also make the synchronous WAL receiver (kWalReceiverName, which must be streaming already)
  // the primary's synchronous standby, with synchronous_commit = on: a commit is acknowledged
  // once the repository holds its WAL (docs/pitr.md, "Recovery point zero").
  bool synchronous_receiver = false;
};

// What the server's own archiver reports (PostgreSQL: pg_stat_archiver and the archive queue).
struct ArchiverState {
  bool enabled = false;            // archiving is on and runs hasteward's wal-push
  std::string current_file;        // the file the server writes now (archived once it is complete)
  std::string last_archived;       // the newest file archived ("" when none yet)
  int64_t last_archived_time = 0;  // unix seconds, 0 when none
  std::string last_failed;         // the newest file whose archiving failed ("" when none)
  int64_t last_failed_time = 0;
  int64_t waiting = 0;  // complete files queued for archiving, not archived yet
};

class Archiving {
 public:
  virtual ~Archiving() = default;

  // Parses a bare archive file name; kUsage for a name the server never archives.
  virtual core::Result<ArchiveFile> ParseFileName(const std::string& name) const = 0;
  // The file name of segment `segment` on `timeline`.
  virtual std::string SegmentFileName(uint32_t timeline, uint64_t segment) const = 0;
  // The file name of `timeline`'s history file.
  virtual std::string HistoryFileName(uint32_t timeline) const = 0;
  // The only size a whole segment has (PostgreSQL: 16 MiB; other sizes are refused for now).
  virtual uint64_t SegmentBytes() const = 0;
  // Parses an archived timeline history file: the timeline's ancestors, oldest first. kCorruption
  // for text that is not one: a restore never guesses which history it follows.
  virtual core::Result<std::vector<TimelineBranch>> ParseTimelineHistory(
      const std::string& text) const = 0;
  // Parses a position ("0/3000A38"); kUsage otherwise.
  virtual core::Result<uint64_t> ParsePosition(const std::string& text) const = 0;
  virtual std::string FormatPosition(uint64_t position) const = 0;

  // The other files the server has queued for archiving (ready but not yet archived), beside the
  // one it asked for at `requested_path` (archive_command's %p), oldest first, at most `limit`.
  // They are only read, never acknowledged: the server marks each one done only after its own
  // archive call for it succeeded, so nothing queued is ever dropped.
  virtual core::Result<std::vector<std::string>> QueuedFiles(const std::string& requested_path,
                                                             size_t limit) const = 0;
  // The directory where prefetched files wait for the server's next fetch calls, given the path
  // the server asked a fetched file to be written to (restore_command's %p).
  virtual std::string PrefetchDir(const std::string& requested_path) const = 0;
  // Whether the server that runs restore_command stays a standby whatever the command answers
  // (PostgreSQL: standby.signal in its data directory, the command's working directory). A fetch
  // that fails there is only asked again later; anywhere else it must stop recovery, because a
  // failure taken for "not archived" ends recovery early.
  virtual bool FetchingServerStandsBy() const = 0;

  // Turns archiving on at the cluster's primary with these commands (restarting it when the
  // archive mode changes), then proves it: forces a segment switch and waits until the server
  // reports that segment archived; then writes the same settings on the reachable standbys, so
  // that one promoted later archives its new timeline. kTimeout / kDumpFailed naming the server's
  // last failure.
  virtual core::Status EnableArchiving(platform::Platform& platform,
                                       const platform::Cluster& cluster,
                                       const ArchiveCommands& commands) = 0;
  // The archiver's state at the cluster's primary (read-only). kUnreachable when the primary
  // cannot be reached.
  virtual core::Result<ArchiverState> ReadArchiverState(platform::Platform& platform,
                                                        const platform::Cluster& cluster) = 0;
  // Whether the archived segment `read.name` holds a transaction record `query` counts, read from
  // its contents. A time target stops replay only at such a
  // record, so a plan proves with it, before anything changes, that replay will stop at the
  // target rather than run out of WAL (segment modification times only bound where to look).
  virtual core::Result<bool> HoldsTransaction(platform::Platform& platform,
                                              const platform::Cluster& cluster,
                                              const ArchivedFileRead& read,
                                              const TransactionQuery& query) const = 0;
  // The watchdog of a synchronous WAL receiver (serve runs it for pitrSync clusters): when the
  // primary waits for the receiver (synchronous_standby_names names it) and a commit has waited
  // longer than `bound` (the receiver gone, hung or cut off), the primary stops waiting, with the
  // receiver's fallback mark, so the receiver names itself again once it caught up. True when it
  // released the commits.
  virtual core::Result<bool> ReleaseStalledCommits(platform::Platform& platform,
                                                   const platform::Cluster& cluster,
                                                   std::chrono::milliseconds bound) = 0;
  // A replication connection to `primary` for a synchronous WAL receiver (engine/wal_stream.h),
  // its slot made when missing.
  virtual core::Result<std::unique_ptr<WalStreamSource>> OpenWalStream(
      const platform::InstanceHandle& primary) const = 0;
};

}  // namespace hasteward::engine
