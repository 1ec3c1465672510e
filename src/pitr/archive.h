// pitr/archive: point-in-time recovery as one interface. An engine keeps at most one kind of
// continuous archive — PostgreSQL's WAL, which the server pushes (pitr/wal/), or MariaDB/Galera
// binlogs, which an archiver pulls (pitr/binlog/) — and MakeArchive, the only place that asks
// which one, returns it as a pitr::Archive. Everything that restores to a point, shows a window,
// decides retention or supervises archiving for serve goes through this interface, so a third
// archive kind is a new sub-folder and one line in the factory, not an edit across three layers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "engine/archiving.h"
#include "engine/cluster_handle.h"
#include "engine/engine.h"
#include "engine/repair.h"
#include "jobs/instant_restore.h"
#include "pitr/restore_point.h"
#include "platform/platform.h"
#include "repo/maintenance/archive_retention.h"
#include "repo/repository.h"

namespace hasteward::pitr {

// How the archive is fed, which is what `serve` supervises for a cluster with pitr on.
enum class ArchiveFeed {
  kServerPushes,   // the server's archive_command hands over each file (serve runs the agent)
  kArchiverPulls,  // `hasteward archive binlog --follow` reads the writer's files (serve runs it)
};

// A status rendered both ways: the command chooses its printer once.
struct RenderedPitrStatus {
  nlohmann::json json;
  std::string text;
};

// What a restore to a point needs besides the target.
struct PointRestoreRequest {
  RestorePoint point;
  bool confirm_overwrite = false;
  bool force = false;  // as for a native restore: another system identifier or version
  // Replace instances holding data past the point (or of unknown position), keeping their data
  // (jobs/discard_gate.h); refused with kNewerData otherwise.
  bool confirm_rewind = false;
  engine::HealOptions heal;  // stamp, timeouts, log
  // The cluster whose base backups and archive are replayed; none = the target itself (a DR
  // activation or a sandbox restores another cluster's).
  std::optional<platform::Cluster> source;
  // The command a restored server runs to fetch archived files (`hasteward wal-fetch ...` naming
  // the source's repository), asked only by an archive whose server fetches (WAL); a binlog
  // replay reads the repository itself. Lazily made: building it checks the password and
  // credentials files, which a binlog restore does not need.
  std::function<core::Result<std::string>()> server_restore_command;
  // Set: the base is served instantly (`restore --instant --until`, pitr/base_restore.h): the
  // point is reached on the overlay before any application write, then the instance is hydrated
  // to local disk. Its events and cache are the caller's; the restore sets its native options.
  std::optional<jobs::InstantRestoreOptions> instant;
};

// What a restore to a point did, in terms every archive kind has.
struct PointRestoreOutcome {
  repo::Snapshot base;  // the native base backup restored
  uint64_t bytes = 0;   // of the base
  // Where replay stopped, for people ("0/3000A38", "GTID 0-1-42") and for the DR audit's end
  // check (the engine's own syntax: a WAL file name reached, a GTID state).
  std::string stopped_at;
  std::string reached_end;
  uint64_t replayed = 0;  // archived pieces replayed: WAL segments, binlog transactions
  // "replayed WAL to 0/3000A38" / "replayed 42 archived transactions to GTID 0-1-42 (...)".
  std::string summary;
  std::optional<jobs::InstantRestoreResult> instant;  // an instant restore's timings
};

// One cycle of an archiver that pulls (ArchiveFeed::kArchiverPulls), rendered both ways.
struct PulledCycle {
  // One JSON line: {"ok":true,"writer","pieces","bytes",...} (docs/pitr.md); serve reads it.
  std::string json_line;
  std::string text;  // "" when nothing is worth a line
  // A read stopped at its limit before a file's listed end: run the next cycle at once.
  bool more = false;
};

// `hasteward archive binlog [--follow]`: the archiver of one cluster, holding what the archive
// held after its last cycle.
class ArchivePuller {
 public:
  virtual ~ArchivePuller() = default;
  // One cycle: stores only whole pieces and returns once their snapshot is committed; an error
  // leaves the archive as it was.
  virtual core::Result<PulledCycle> RunCycle() = 0;
  // After a failed cycle: the error and the writer's backlog against what the archive held after
  // the last successful cycle (null figures when unknown), as one JSON line.
  virtual nlohmann::json FailedCycle(const core::Status& error) = 0;
};

// `archive binlog --sync`: what a synchronous receiver of a pulled archive is told.
struct SyncReceiverOptions {
  // The writer's bound on one commit's wait for the receiver, then it commits asynchronously.
  std::chrono::milliseconds fallback_after{10000};
  std::function<bool()> stop;                           // polled: true ends the receiver with OK
  std::function<void(const nlohmann::json&)> progress;  // one status line per store or reading
};

class Archive {
 public:
  virtual ~Archive() = default;

  virtual ArchiveFeed feed() const = 0;
  // The flag naming a position target of this kind ("--until-lsn", "--until-gtid") and its check:
  // the position in the engine's syntax, kUsage when it is not one.
  virtual const char* position_flag() const = 0;
  virtual core::Status CheckPosition(const std::string& position) const = 0;

  // Per native base backup of `cluster`, how far the archive replays it and its first gap.
  virtual core::Result<RenderedPitrStatus> Status(repo::Repository& repo,
                                                  const platform::Cluster& cluster) = 0;

  // What must hold before anything changes (the restored server's fetch command builds, ...):
  // a DR activation checks it before it stops the template's instances.
  virtual core::Status CheckRequest(const PointRestoreRequest& request) const = 0;

  // Plans (kNotFound: no base before the point; kSafetyStop naming the gap or where the archive
  // ends, before anything changes), restores the newest base before the point like a native
  // restore (its refusals: running target, missing confirmation, newer data), replays the archive
  // to the point and verifies where replay stopped (kVerifyFailed otherwise). Takes a shared
  // repository lock.
  virtual core::Result<PointRestoreOutcome> RestoreToPoint(const engine::ClusterHandle& target,
                                                           repo::Repository& repo,
                                                           const PointRestoreRequest& request) = 0;

  // The archiver of an archive that pulls; kUnsupported (naming what feeds it instead) for one
  // the server pushes. `repo` and `platform` must outlive it.
  virtual core::Result<std::unique_ptr<ArchivePuller>> OpenPuller(
      repo::Repository& repo, platform::Platform& platform, const platform::Cluster& cluster) = 0;
  // The semi-synchronous receiver of an archive that pulls (pitr/binlog/binlog_receiver.h), until
  // `options.stop`; kUnsupported for one the server pushes (PostgreSQL's is `wal-receive`).
  virtual core::Status RunSyncReceiver(repo::Repository& repo, platform::Platform& platform,
                                       const platform::Cluster& cluster,
                                       const SyncReceiverOptions& options) = 0;
  // Turns the server's own archiving on with `commands` (archive_command and restore_command);
  // kUnsupported for an archive that pulls.
  virtual core::Status EnableServerArchiving(platform::Platform& platform,
                                             const platform::Cluster& cluster,
                                             const engine::ArchiveCommands& commands) = 0;

  // Which archived pieces prune keeps for the kept backups (repo::ArchiveRetention's decision).
  virtual std::vector<repo::ArchivePieceDecision> DecideRetention(
      const std::vector<const repo::SnapshotMeta*>& kept_backups,
      const std::vector<const repo::SnapshotMeta*>& pieces) const = 0;
  // Called by prune, under its exclusive lock, before it deletes `group`'s removed pieces or base
  // backups: what the archive keeps about them beside the snapshots (the WAL archive index)
  // forgets them first, so it never names data prune is about to collect. An error stops prune
  // with nothing deleted.
  virtual core::Status BeforeRemoval(repo::Repository& repo,
                                     const repo::PlanGroup& group) const = 0;
  // Called by a native (plain or instant) restore of `cluster` itself, under its repository lock,
  // right before the restored primary can take a write (NativeRestoreOptions::before_first_write),
  // with the restored backup's facts: the archive records that the cluster went back to the
  // backup's position, so that what it archived of the abandoned history is never replayed or
  // counted again. Binlogs: a rewind record (a point-in-time restore records its own). WAL: nothing
  // (the restore promotes onto a new timeline, which the archive keeps apart by itself).
  virtual core::Status BeforeRestoredWrites(repo::Repository& repo,
                                            const platform::Cluster& cluster,
                                            const std::map<std::string, std::string>& facts) = 0;
};

// The archive `engine` keeps; kUnsupported naming `what` for an engine without one. `engine` must
// outlive the archive.
core::Result<std::unique_ptr<Archive>> MakeArchive(engine::Engine& engine, const std::string& what =
                                                                               "point-in-time "
                                                                               "recovery");

}  // namespace hasteward::pitr
