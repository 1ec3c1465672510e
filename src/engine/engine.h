// engine: what HASteward knows about each database engine — PostgreSQL ("cnpg"), MariaDB with
// primary/replica GTID replication ("mariadb") and MariaDB Galera ("galera"). An engine talks to
// real servers with the native client libraries (libpq, MariaDB Connector/C) and the engine's own
// tools (pg_dumpall/psql, mariadb-dump/mariadb), chooses which instance serves a backup, produces a
// dump as a core::ByteSource and consumes a restore as a core::ByteSink, and reads cluster health
// (triage). It reaches instances only through platform::Platform and depends only on platform and
// core: it never includes repo/ or storage/ — the jobs layer connects these streams to the
// repository (backup = OpenDump -> repository; restore = repository -> OpenRestore).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"
#include "core/subprocess.h"
#include "engine/data_check.h"
#include "engine/repair.h"
#include "engine/triage.h"
#include "engine/users_mode.h"
#include "engine/write_probe.h"
#include "platform/platform.h"

namespace hasteward::engine {

using platform::EngineKind;

// Which instance serves a backup, and why. Made by DumpSource::PlanBackup from the live state of
// the cluster; consumed by DumpSource::OpenDump.
struct BackupPlan {
  platform::Instance source;  // a copy of the chosen instance (safe to keep after the Cluster)
  InstanceRole role = InstanceRole::kPrimary;  // kPrimary, kStandby, kReplica or kGaleraNode
  std::string reason;            // one line for logs: "replica 'db-1' is healthy (lag 0 s)"
  std::string virtual_filename;  // "pgdumpall.sql" or "mysqldump.sql"
  // Facts known at planning time, e.g. "gtid_current_pos", "wsrep_last_committed",
  // "skipped" (instances passed over and why). Never contains secrets.
  std::map<std::string, std::string> metadata;
};

// The running dump of one cluster. Read() yields the dump (SQL text). A failed dump is never a
// backup: a non-zero exit of the dump tool, its death by a signal, a lost connection, or an end of
// stream without the tool's end marker is returned as an error (kDumpFailed, naming the cause and
// the tool's stderr tail) from the read that would otherwise report end of stream. Not
// thread-safe. Destroying the stream kills a dump tool that is still running.
class DumpStream : public core::ByteSource {
 public:
  // The dump tool's process, e.g. to log its pid (tests use it to kill the dump mid-stream).
  virtual core::Subprocess& process() = 0;
  // Facts read from the dump itself, complete once Read() returned end of stream, e.g.
  // "gtid_position" ("0-1-42") and "binlog_file"/"binlog_pos" for MariaDB.
  virtual std::map<std::string, std::string> metadata() const = 0;
  // Dump bytes delivered so far.
  virtual uint64_t bytes_read() const = 0;
};

// What a restore does to existing data (destructive — read before calling OpenRestore):
//  - PostgreSQL: the pg_dumpall --clean --if-exists dump DROPs and recreates every database in it
//    (including "postgres" and "template1") and drops and recreates its roles (except the role the
//    restore connects as). Client sessions connected to user databases are terminated first so the
//    databases can be dropped. Databases that are not in the dump are left alone.
//  - MariaDB / Galera: every database in the dump is DROPped and recreated (DROP DATABASE IF
//    EXISTS, then its tables, routines, events and triggers). The "mysql" system schema is not
//    dumped as tables; its users, roles and grants are, as portable CREATE USER / GRANT
//    statements, and `users` says what happens to them (protected accounts — the one the restore
//    connects as, the replication user, root — are never touched). Databases that are not in the
//    dump are left alone. Replicas / other Galera nodes receive the restore through replication.
struct RestoreOptions {
  // Without it, restoring into a cluster whose target holds user databases (or, for PostgreSQL,
  // user tables in "postgres") fails with kConfirmationRequired naming them. The CLI maps its
  // confirmation flag to this field.
  bool confirm_overwrite = false;
  // MariaDB / Galera: the accounts in the dump (PostgreSQL restores roles as pg_dumpall wrote
  // them).
  UsersMode users = UsersMode::kCreateMissing;
};

// Which instance a restore goes into, and why.
struct RestorePlan {
  platform::Instance target;
  std::string reason;
  std::vector<std::string> user_databases;  // what the restore may overwrite
  // Carried from RestoreOptions so OpenRestore needs only the plan: what the restore does with
  // the dump's accounts (MariaDB / Galera).
  UsersMode users = UsersMode::kCreateMissing;
};

// Capability: make a backup dump of a cluster.
class DumpSource {
 public:
  virtual ~DumpSource() = default;
  // Inspects every instance (read-only) and chooses the backup source:
  //  PostgreSQL: the one primary (pg_is_in_recovery() = false); kSplitBrain when more than one
  //    instance is writable; kUnreachable when no primary answers.
  //  Galera: a Synced node of the Primary component (wsrep_ready=ON), preferring a node other
  //    than ordinal 0; kUnreachable when none is synced.
  //  MariaDB replication: a healthy replica (IO and SQL threads running, lag <= 10 s), the least
  //    lagging, lowest ordinal first; else the primary; kUnreachable when neither answers.
  // kAuthFailed when every instance that answered rejected the credentials.
  virtual core::Result<BackupPlan> PlanBackup(platform::Platform& platform,
                                              const platform::Cluster& cluster) = 0;
  // Starts the dump tool against plan.source. Passwords reach the tool through an in-memory 0600
  // file it inherits as /dev/fd/N (PGPASSFILE / --defaults-file), never argv, env or disk.
  virtual core::Result<std::unique_ptr<DumpStream>> OpenDump(platform::Platform& platform,
                                                             const platform::Cluster& cluster,
                                                             const BackupPlan& plan) = 0;
  // A plan for dumping one chosen instance rather than the usual source (repair captures: the
  // escrow backup of the donor, each diverged side). `role` is its triage role. MariaDB reads
  // whether the instance writes a binlog, which decides how the dump records its position.
  virtual core::Result<BackupPlan> PlanBackupOf(platform::Platform& platform,
                                                const platform::Cluster& cluster,
                                                const platform::Instance& instance,
                                                InstanceRole role);
};

// Capability: restore a dump made by the same engine into a cluster.
class RestoreTarget {
 public:
  virtual ~RestoreTarget() = default;
  // Chooses the target (PostgreSQL and MariaDB replication: the primary; Galera: a Synced node)
  // and lists the user databases it holds. Read-only. kUnreachable / kNotFound / kSplitBrain when
  // there is no single target; kConfirmationRequired when it holds user databases and
  // !options.confirm_overwrite.
  virtual core::Result<RestorePlan> PlanRestore(platform::Platform& platform,
                                                const platform::Cluster& cluster,
                                                const RestoreOptions& options) = 0;
  // Starts the restore client (psql -v ON_ERROR_STOP=1 / mariadb) on the target PlanRestore
  // chose — as OpenDump takes the backup plan, so the cluster is planned (and probed) once and a
  // refusal happens before anything starts. Write the dump into the sink, then Close(): Close's
  // status is the restore's outcome (kDumpFailed with the client's stderr tail when any
  // statement failed). The caller must ignore SIGPIPE (the CLI does) so a client that dies
  // mid-restore is an error, not a signal.
  // Only Close() ends the client normally: destroying the sink without Close(), a stop signal or
  // hasteward's death kills the client, so a half-received statement is never executed.
  virtual core::Result<std::unique_ptr<core::ByteSink>> OpenRestore(
      platform::Platform& platform, const platform::Cluster& cluster, const RestorePlan& plan) = 0;
};

// Capability: read the health of a cluster (triage). Read-only: it never changes anything.
class HealthReader {
 public:
  virtual ~HealthReader() = default;
  // Reads every instance and gives one verdict; engine/<kind>/triage.h says what each engine
  // reads and when it calls a cluster degraded or split-brain.
  virtual core::Result<TriageReport> Triage(platform::Platform& platform,
                                            const platform::Cluster& cluster) = 0;
  // The triage table's position and detail of one instance, from its facts. Never empty: an
  // instance without a known position shows "-" (or "UNKNOWN" where that is a finding).
  virtual InstanceDescription DescribeInstanceHealth(const InstanceHealth& health) const = 0;
};

// Capabilities that later issues fill in. They are declared here so those issues add an engine's
// implementation (and the engines that lack one keep returning nullptr) without touching any
// caller: a caller asks `engine.archiving()` and, on nullptr, reports Unsupported(engine, ...).
// A planned or forced change of primary (engine/switchover.h).
class Switchover;
// Physical backups and their restore (engine/native_backup.h).
class NativeBackup;
// Continuous archiving for point-in-time recovery (engine/archiving.h).
class Archiving;
// Server variables and replication mode that survive restarts (engine/reconfigure.h).
class Reconfigure;
// Binlogs pulled into the archive for point-in-time recovery (engine/binlog_archiving.h).
class BinlogArchiving;

// Everything an engine provides: backup (DumpSource), restore (RestoreTarget), triage
// (HealthReader), the repair safety table's rules (RepairRules) and heals (Healer). The factory
// (MakeEngine) is the only place that switches on the engine kind; everything above the engine
// layer talks to this interface.
class Engine : public DumpSource,
               public RestoreTarget,
               public HealthReader,
               public RepairRules,
               public Healer {
 public:
  virtual EngineKind kind() const = 0;
  // The snapshot's virtual file name: "pgdumpall.sql" or "mysqldump.sql".
  virtual const char* DumpFileName() const = 0;
  // The line the engine's dump tool writes last ("PostgreSQL database cluster dump complete",
  // "-- Dump completed"): a dump without it was cut short.
  virtual const char* DumpEndMarker() const = 0;
  // Reads every user table of the instance of `instance` (DataCheck), connected through its
  // endpoint. Read-only apart from enabling the PostgreSQL amcheck extension where it is available.
  virtual DataCheck CheckData(const platform::InstanceHandle& instance) = 0;
  // Whether restore and export can choose what happens to the dump's accounts (UsersMode):
  // the MariaDB family dumps them as statements we can filter; pg_dumpall's roles section is
  // restored as written (the restoring role keeps its own password).
  virtual bool HasSelectableAccounts() const = 0;
  // The engine of the throwaway single instance a dump of this engine is verified in: a Galera
  // dump restores into a plain MariaDB server (a one-node cluster adds nothing to the proof).
  virtual EngineKind ScratchKind() const { return kind(); }
  // Whether the server at target.host:port takes writes now, proven by a write as
  // target.credentials inside a transaction that is rolled back (engine/write_probe.h; each
  // engine's statement is in its write_probe.cpp). Never an error: every outcome is a verdict,
  // and only kNotWritable and kUnreachable mean "no writes now". One connection, a few seconds
  // at most (the connect timeout); thread-safe.
  virtual WriteProbeResult ProbeWritable(const WriteProbeTarget& target) const = 0;
  // Optional capabilities; nullptr = this engine does not support it (the default).
  virtual Archiving* archiving() { return nullptr; }
  virtual Switchover* switchover() { return nullptr; }
  virtual NativeBackup* native_backup() { return nullptr; }
  virtual Reconfigure* reconfigure() { return nullptr; }
  virtual BinlogArchiving* binlog_archiving() { return nullptr; }
};

// kUsage "engine 'galera' does not support <capability>", with a hint, for a capability
// accessor that returned nullptr.
core::Status Unsupported(const Engine& engine, const std::string& capability);

// The engine for a kind. Never fails for a kind of the enum; kInternal for an out-of-range value.
core::Result<std::unique_ptr<Engine>> MakeEngine(EngineKind kind);

// The dump file name for a kind without making an engine.
const char* DumpFileName(EngineKind kind);

}  // namespace hasteward::engine
