// engine/native_backup: the NativeBackup capability — physical backups (copies of the data files
// taken by the engine's own base-backup tool) and their restore into a stopped instance. The
// engine produces the backup as a sequence of members (files, directories, symlinks of the data
// directory) and says which members are page-structured data files; the jobs layer stores them as
// a file tree in one snapshot (jobs/native_backup.h). Restoring is three steps around the jobs
// layer's tree restore: plan (refusals first), prepare (an empty staging directory), finish (move
// the staging directory into place, start, rebuild the other instances from it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_stream.h"
#include "core/status.h"
#include "core/subprocess.h"
#include "core/tar_reader.h"
#include "engine/archiving.h"
#include "engine/engine.h"
#include "engine/held_data.h"
#include "engine/repair.h"
#include "platform/platform.h"

namespace hasteward::engine {

// One member of a physical backup, in the order the tool sends it.
struct NativeMember {
  core::TarEntry entry;  // path relative to the data directory
  // > 0: a page-structured data file, best stored in fixed blocks of this size (a multiple of the
  // engine's page size) so a changed page re-stores only its block; 0: content-defined chunking.
  size_t block_size = 0;
  // Incremental backups (NativeBackup::OpenIncrementalNativeBackup): set for a data file whose
  // pages may be taken from the parent snapshot's copy of the same path; says whether page `n`
  // (0-based in this file) may differ from that copy. Unset: every byte is read.
  std::function<bool(uint64_t page)> page_may_differ;
};

// The running base backup. Next() yields the members; the content of the current member is read
// with ReadContent before the next Next() (unread content is skipped). A failed backup is never a
// whole one: a non-zero exit of the tool, its death by a signal, a stream cut before the archive's
// end or without the engine's completion evidence (PostgreSQL: backup_label and backup_manifest)
// is an error (kDumpFailed naming the cause and the tool's stderr tail) from Next() at the latest
// when it would otherwise report the end. Destroying the stream kills a tool that still runs.
class NativeBackupStream {
 public:
  virtual ~NativeBackupStream() = default;
  virtual core::Result<std::optional<NativeMember>> Next() = 0;
  virtual core::Result<size_t> ReadContent(std::span<uint8_t> buf) = 0;
  // Facts of the backup, complete once Next() returned nullopt. PostgreSQL: "system_identifier",
  // "pg_version" (major), "timeline", "start_lsn", "stop_lsn".
  virtual std::map<std::string, std::string> metadata() const = 0;
  // Archive bytes received so far.
  virtual uint64_t bytes_read() const = 0;
  // Passes over the next `n` bytes of the current member's content without reading them (the
  // caller stores the parent's copy instead). Only for members with page_may_differ.
  virtual core::Status SkipContent(uint64_t n) {
    (void)n;
    return core::Internal("this backup stream cannot skip content");
  }
};

// Where an incremental backup reads the WAL of the interval since its parent (and the WAL its
// own tree needs): the pitr layer implements it over the repository's WAL archive.
class WalSegmentSource {
 public:
  virtual ~WalSegmentSource() = default;
  // "the WAL archive", for messages.
  virtual std::string Name() const = 0;
  // The whole segment file `file_name` ("000000010000000000000003"); nullopt when this source
  // does not hold it. Errors: the source failed (a repository read).
  virtual core::Result<std::optional<std::string>> ReadSegment(const std::string& file_name) = 0;
};

// The parent snapshot's stored copy of a file of its tree, by path relative to the data directory;
// nullopt when the tree has no such file. Errors: the repository failed.
using ParentFileReader =
    std::function<core::Result<std::optional<std::string>>(const std::string& path)>;

// What an incremental native backup builds on: its parent snapshot's facts (tags), the archive to
// read the WAL from (null: none; the instance's own WAL directory is read then), and the parent's
// stored files, through which the engine proves the parent lies on the live history before it
// lends the backup a page (unset: nothing can be proven, the backup reads everything).
struct IncrementalBase {
  std::map<std::string, std::string> parent_facts;
  WalSegmentSource* archive = nullptr;
  ParentFileReader parent_file;
};

// The fact NativeRestoreOptions::before_first_write finds the restored snapshot's full ID (hex)
// under, beside the backup's own facts (no tag has this key).
inline constexpr char kRestoredSnapshotFact[] = "restored_snapshot";

struct NativeRestoreOptions {
  // Restoring replaces the target's data directory and rebuilds every other instance from it:
  // without this, PlanNativeRestore fails with kConfirmationRequired.
  bool confirm_overwrite = false;
  // Restore a backup of another system identifier or major version than the target's data.
  bool force = false;
  HealOptions heal;  // rebuilding the other instances (timeouts, names of kept copies)
  // Point-in-time restore: the restored backup replays archived WAL (fetched with
  // recovery->restore_command) up to the target, is promoted, and FinishNativeRestore checks that
  // replay stopped at the target rather than at the end of the archive (kVerifyFailed otherwise).
  std::optional<RecoveryRequest> recovery;
  // Asks the engine to leave plan.rebuild to the caller where that matters: a MariaDB replica
  // rebuilt before a binlog replay skips the replayed transactions that carry its own server id
  // (the replica filter), so a point-in-time restore replays first and rebuilds afterwards. The
  // plan says whether the engine did (NativeRestorePlan::rebuild_deferred).
  bool rebuild_later = false;
  // A binlog replay follows (MariaDB, Galera): the restored instances come up with read_only = ON
  // and keep it until the caller opens them (BinlogArchiving::OpenForWrites) after the replay
  // reached its target, so no application writes into a half-replayed database. Where the
  // inventory names a config file the fence is written there before the server starts, so neither
  // the start nor a restart opens a window. Without it the restored primary is writable at once.
  bool stay_read_only = false;
  // The caller's own steps finish the restore (a binlog replay, then the deferred rebuild): the
  // unfinished-restore record ("<data dir>.hasteward-restoring") stays until the caller clears it
  // (ClearUnfinishedRestores), so a run killed during those steps is rerun like any other.
  bool caller_finishes = false;
  // The discard gate's consent: instances holding data newer than the restored data (or of
  // unknown position) are replaced anyway, their data kept (running ones captured as diverged
  // snapshots, stopped ones' data directories moved aside and never deleted). Without it the
  // restore is refused with kNewerData before anything changes.
  bool confirm_rewind = false;
  // The position the restored data reaches, in the backup facts' keys, when it is not the
  // backup's own (a point-in-time restore: the end of the archive it replays); empty = the
  // backup's facts.
  std::map<std::string, std::string> reaches;
  // The restored data goes to another cluster than the backup's (a sandbox, a verification's
  // scratch server, a DR site): the backup's own archiving, which names its source's cluster and
  // password file, is turned off, so the copy never archives under the source's identity (a
  // promoted copy's new timeline in the source's archive would be followed by the source's next
  // point-in-time restore).
  bool into_another_cluster = false;
  // Every restore starts a new history (PostgreSQL: a promotion onto a new timeline): the newest
  // timeline any snapshot in the repository of the backup's system recorded (its own or one of its
  // history's), which the new one must lie above. 0: none known beyond the engine's own look.
  uint32_t newest_taken_timeline = 0;
  // MariaDB: the highest GTID domain any snapshot of the cluster in the repository names (jobs
  // read it from the snapshots' GTID tags; nullopt: none known). A restore starts the restored
  // primary's writes in a domain above it, above the backup's and above every instance's, so the
  // new history never reuses a GTID of an abandoned one (docs/restore.md, "A restore starts a new
  // history").
  std::optional<uint32_t> newest_taken_gtid_domain;
  // A restore of the cluster itself (not into_another_cluster): run with the backup's facts after
  // the discard gate, right before the restored primary's first start, so that the caller records
  // in its archives that the cluster went back to the backup's position before anything can be
  // written on the new history (MariaDB: a rewind in the binlog archive; without it a later
  // point-in-time restore replays the abandoned history's transactions). The facts also name the
  // restored snapshot (kRestoredSnapshotFact), so the record can say which base came back. An
  // error fails the restore with the target not started.
  std::function<core::Status(const std::map<std::string, std::string>& facts)> before_first_write;
};

// Where a native restore stages the snapshot's tree and keeps the data directory it replaces
// (engine/native_restore_steps.h, ChooseSwapPlace).
enum class SwapPlace {
  // Beside the data directory, on the filesystem of its parent: each move is one rename.
  kBesideDataDir,
  // Inside it: the data directory is its volume's mount point (mariadb-operator mounts its claim
  // at /var/lib/mysql), which cannot be renamed, and its parent lies on another filesystem (the
  // container's own), where a staged tree would not outlive the pod. Entries move one by one,
  // under names MariaDB lists as no database ("#sql-" prefix).
  kInsideDataDir,
};

struct NativeRestorePlan {
  platform::Instance target;
  std::string reason;
  // An empty directory that the jobs layer fills with the snapshot's tree (FinishNativeRestore
  // moves it into place): beside the target's data directory, or inside it (swap_place).
  std::string staging_dir;
  SwapPlace swap_place = SwapPlace::kBesideDataDir;
  // Whether files restored by this process must be chowned to the owners the snapshot recorded
  // (the instance runs as another OS user than hasteward).
  bool restore_owner = false;
  std::vector<platform::Instance> rebuild;  // rebuilt from the target once it runs
  // The engine left `rebuild` to the caller (NativeRestoreOptions::rebuild_later): rebuild each
  // with Healer::HealInstance from the target.
  bool rebuild_deferred = false;
  // The backup's facts as PlanNativeRestore got them (MariaDB: the GTID position and Galera
  // seqno the restored server continues from).
  std::map<std::string, std::string> facts;
  // Set by the jobs layer once every file of the tree was checked against the backup's own
  // checksum manifest while it was written (RestoredTreeCheck): CheckRestoredTree then need not
  // read the tree back for its checksums.
  bool checksums_checked = false;
  // The restored snapshot's ID, set by the jobs layer: SwapInStaging records it beside the data
  // directory until the restore finished (native_restore_steps.h, StopUnfinishedRestores).
  std::string snapshot_id;
  // Set by the jobs layer: run by FinishNativeRestore right before the target's first start, after
  // the swap and its configuration, so the caller records what the started instance serves
  // before it can take a write (an instant restore's "hydrating" record). An error fails the
  // restore with the target not started.
  std::function<core::Status()> before_start;
};

// Checks a restored tree against the checksums its backup recorded, file by file as the restore
// writes it, so the whole tree need not be read back afterwards (for a data directory of many GB
// that second read is a large part of the restore).
class RestoredTreeCheck {
 public:
  virtual ~RestoredTreeCheck() = default;
  // A sink that receives the bytes of the file at `relative_path` (relative to the data
  // directory) in order; its Close() reports kVerifyFailed naming the file when its size or
  // checksum differs from the manifest's. nullptr when the manifest records nothing for the path.
  // Called from several threads at once.
  virtual std::unique_ptr<core::ByteSink> OpenFile(const std::string& relative_path) = 0;
  // After the whole tree was written: kVerifyFailed naming a file the manifest lists that was
  // never written or never checked.
  virtual core::Status Finish() = 0;
};

class NativeBackup {
 public:
  virtual ~NativeBackup() = default;
  // The engine's data page size (PostgreSQL: 8 KiB); a block size must be a multiple of it.
  virtual size_t PageSize() const = 0;
  // The default block size for data files (see docs/native-backups.md for the measurement).
  virtual size_t DefaultBlockSize() const = 0;
  // The zstd level a native backup uses when the user chose "auto": the one its data files
  // compress best at for the CPU (measured in docs/native-backups.md).
  virtual int DefaultCompressionLevel() const = 0;
  // Chooses the instance the base backup is taken from (read-only; errors as PlanBackup).
  virtual core::Result<BackupPlan> PlanNativeBackup(platform::Platform& platform,
                                                    const platform::Cluster& cluster) = 0;
  // Starts the base-backup tool against plan.source; data files get `block_size` (a multiple of
  // PageSize()). Credentials reach the tool as in OpenDump (an in-memory file, never argv).
  virtual core::Result<std::unique_ptr<NativeBackupStream>> OpenNativeBackup(
      platform::Platform& platform, const platform::Cluster& cluster, const BackupPlan& plan,
      size_t block_size) = 0;
  // Whether OpenIncrementalNativeBackup works for this engine (its data directory read where it
  // lies on this machine).
  virtual bool SupportsIncremental() const { return false; }
  // Backs up plan.source by reading its data directory here: relation files' members carry
  // page_may_differ (pages the WAL since the parent's start never touched are the parent's) when
  // the WAL of that interval is available and unambiguous; otherwise every byte is read. The
  // metadata adds "read" (incremental|full), "reason" (why full) and "changed_blocks".
  virtual core::Result<std::unique_ptr<NativeBackupStream>> OpenIncrementalNativeBackup(
      platform::Platform& platform, const platform::Cluster& cluster, const BackupPlan& plan,
      size_t block_size, const IncrementalBase& base) {
    (void)platform;
    (void)cluster;
    (void)plan;
    (void)block_size;
    (void)base;
    return core::Internal("incremental native backups are not implemented for this engine");
  }

  // Whether a native restore of `cluster` can run on `platform` at all, whatever the backup: kUsage
  // naming why not (a Galera restore bootstraps a node, which an operator that owns the pods does
  // not let HASteward do). Read-only; for callers that would read or prepare much before the plan
  // (a binlog point-in-time restore), so that the refusal comes first. PlanNativeRestore refuses
  // the same way.
  virtual core::Status CheckRestorable(platform::Platform& platform,
                                       const platform::Cluster& cluster) {
    (void)platform;
    (void)cluster;
    return core::Status::Ok();
  }
  // Chooses the target of a restore of a backup with `facts` (its metadata()) and refuses, before
  // anything changes: kConfirmationRequired without options.confirm_overwrite; kSafetyStop when
  // the target's server runs, or when its data directory holds another system identifier or
  // major version than the backup (unless options.force).
  virtual core::Result<NativeRestorePlan> PlanNativeRestore(
      platform::Platform& platform, const platform::Cluster& cluster,
      const std::map<std::string, std::string>& facts, const NativeRestoreOptions& options) = 0;
  // Creates plan.staging_dir empty (removing what a failed earlier restore left there).
  virtual core::Status PrepareNativeRestore(platform::Platform& platform,
                                            const platform::Cluster& cluster,
                                            const NativeRestorePlan& plan) = 0;
  // The member of a backup's tree that records every file's checksum (PostgreSQL:
  // "backup_manifest"), or "" when the engine's backups carry none.
  virtual std::string ChecksumManifestName() const { return {}; }
  // From that member's content: the check a restore runs on each file as it writes it, or nullptr
  // when this manifest's checksums cannot be checked that way (then CheckRestoredTree reads the
  // tree back). kVerifyFailed when the manifest cannot be read.
  virtual core::Result<std::unique_ptr<RestoredTreeCheck>> MakeRestoredTreeCheck(
      std::string_view /*manifest*/) {
    return std::unique_ptr<RestoredTreeCheck>();
  }
  // Checks the tree in plan.staging_dir before anything is replaced (PostgreSQL: pg_verifybackup
  // against the backup's manifest: every file's size and checksum, unless plan.checksums_checked,
  // and the WAL it needs). kVerifyFailed naming what differs.
  virtual core::Status CheckRestoredTree(platform::Platform& platform,
                                         const platform::Cluster& cluster,
                                         const NativeRestorePlan& plan) = 0;
  // What a restore whose data reaches `replacement` (the backup's facts, or a point-in-time
  // restore's end position in the same keys) would discard on the instance `fresh` describes (a
  // triage read just now; its data directory is not empty). Pure. The discard gate
  // (jobs/discard_gate.h) refuses on kNewer and kUnknown.
  virtual HeldDataJudgement JudgeHeldData(
      const InstanceHealth& fresh, const std::map<std::string, std::string>& replacement) const = 0;
  // With the snapshot's tree in plan.staging_dir: moves the target's data directory aside (kept,
  // named with options.heal.stamp), moves the staging directory into its place, starts the target
  // and waits until it accepts writes, then rebuilds every instance of plan.rebuild from it.
  virtual core::Status FinishNativeRestore(platform::Platform& platform,
                                           const platform::Cluster& cluster,
                                           const NativeRestorePlan& plan,
                                           const NativeRestoreOptions& options) = 0;
  // Starts the restored target again after a restart the restore itself makes (an instant
  // restore's move to local disk, or its rerun serving the overlay again) in the role the restore
  // gave it: the primary, writable unless the restore's own fence still holds it (a replay that
  // has not reached its point). The default is the platform's start: an engine whose primary
  // comes back writable from its configuration needs nothing more.
  virtual core::Status RestartRestoredTarget(platform::Platform& platform,
                                             const platform::Cluster& cluster,
                                             const platform::Instance& target) {
    return platform.StartInstance(cluster, target);
  }
};

}  // namespace hasteward::engine
