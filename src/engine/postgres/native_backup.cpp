#include "engine/postgres/native_backup.h"

#include "core/fd.h"
#include "core/log.h"
#include "core/text.h"
#include "engine/client_tools.h"
#include "engine/postgres/base_backup_client.h"
#include "engine/postgres/incremental_stream.h"
#include "engine/postgres/native_source.h"
#include "engine/postgres/native_stream.h"
#include "engine/postgres/parent_ancestry.h"
#include "engine/postgres/parent_check.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/triage_timeline.h"
#include "engine/postgres/wal_names.h"

namespace hasteward::engine::postgres {

namespace {

// Measured in docs/native-backups.md (pgbench, each block one zstd frame): a scattered 1 % row
// update touches nearly every 64 KiB block anyway, so dedup cannot tell the sizes apart, while
// independent frames and per-blob overhead cost 20-30 % more stored bytes at 64 KiB than at
// 512 KiB. 512 KiB (64 pages) stores about what a whole-file zstd stream does; beyond it the gain
// is under 1 % and a single changed page re-stores more.
constexpr size_t kDefaultBlock = 64 * kPgPageSize;
// B-tree leaves after row updates compress 30 % smaller at zstd 3 than at 1 (heap pages compress
// alike at both, for the same CPU), so the index part of a second backup decides.
constexpr int kDefaultLevel = 3;
// How long a native backup waits for the chosen standby to replay the primary's position before
// it copies the primary instead: a streaming standby within 64 MiB catches up in about a second.
constexpr auto kStandbyCatchUp = std::chrono::seconds(30);

// The replication user when the inventory names one (pg_hba's "replication" lines are for it),
// else the admin user.
const platform::Credentials& ReplicationCredentials(const platform::Cluster& cluster) {
  return cluster.replication.user.empty() ? cluster.credentials : cluster.replication;
}

constexpr char kLabel[] = "hasteward native backup";

core::Status CheckBlockSize(size_t block_size) {
  if (block_size < kPgPageSize || block_size % kPgPageSize != 0) {
    return core::Usage("block size " + std::to_string(block_size) +
                           " is not a multiple of PostgreSQL's 8 KiB page",
                       "use a multiple of 8192 (default " + std::to_string(kDefaultBlock) + ")");
  }
  return core::Status::Ok();
}

// One value a query on the backup's session must return.
core::Result<std::string> SessionValue(PgConnection& session, const std::string& sql) {
  HS_ASSIGN_OR_RETURN(std::optional<std::string> value, session.QueryValue(sql));
  if (!value) {
    return core::Status(core::ErrorCode::kDumpFailed, "'" + sql + "' returned nothing");
  }
  return *value;
}

// Servers before 15 send one COPY per tablespace and the manifest apart: pg_basebackup speaks
// that protocol and writes one tar with the manifest appended.
core::Result<std::unique_ptr<NativeBackupStream>> OpenWithPgBaseBackup(
    const platform::Instance& source, const std::string& user, const std::string& password,
    size_t block_size, std::map<std::string, std::string> known_facts) {
  core::SubprocessOptions options;
  ToolSecrets secrets;
  options.env_unset = {"PGPASSWORD", "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGDATABASE"};
  options.env_set["PGCONNECT_TIMEOUT"] = "5";
  options.env_set["PGPASSFILE"] = "/dev/null";
  if (!password.empty()) {
    HS_ASSIGN_OR_RETURN(options.env_set["PGPASSFILE"],
                        secrets.Add("pgpass", PgPassLine(user, password)));
  }
  std::string host = source.host.empty() ? source.socket : source.host;
  options.argv = {ToolPath(source, "pg_basebackup"),
                  "-h",
                  host,
                  "-p",
                  std::to_string(source.port > 0 ? source.port : 5432),
                  "-U",
                  user,
                  "-w",
                  "-D",
                  "-",
                  "-F",
                  "tar",
                  "-X",
                  "fetch",
                  "-c",
                  "fast",
                  "-l",
                  kLabel};
  core::LogInfo("starting base backup",
                {{"instance", source.name}, {"command", core::JoinArgv(options.argv)}});
  // No end marker: the tar reader proves the archive whole and the stream its manifest.
  HS_ASSIGN_OR_RETURN(auto tool, ToolDumpStream::Start(std::move(options), std::move(secrets), ""));
  return std::unique_ptr<NativeBackupStream>(
      std::make_unique<PgNativeStream>(std::make_unique<ToolBaseBackupArchive>(std::move(tool)),
                                       block_size, std::move(known_facts)));
}

}  // namespace

size_t PgNativeBackup::PageSize() const {
  return kPgPageSize;
}
size_t PgNativeBackup::DefaultBlockSize() const {
  return kDefaultBlock;
}
int PgNativeBackup::DefaultCompressionLevel() const {
  return kDefaultLevel;
}

core::Result<BackupPlan> PgNativeBackup::PlanNativeBackup(platform::Platform& platform,
                                                          const platform::Cluster& cluster) {
  HS_ASSIGN_OR_RETURN(BackupPlan plan, planner_.PlanBackup(platform, cluster));
  plan.virtual_filename = "data";
  // A failed look at the standbys costs the primary some I/O, not the backup.
  InstanceHandles handles(platform, cluster);
  if (auto preferred = PreferStandbySource(handles, plan, kStandbyCatchUp); !preferred.ok()) {
    core::LogWarn("the native backup copies the primary: " + preferred.message());
  }
  return plan;
}

namespace {

// The base backup over the replication protocol (pg_basebackup before PostgreSQL 15), with
// `known_facts` for the snapshot's tags.
core::Result<std::unique_ptr<NativeBackupStream>> OpenBaseBackup(
    platform::Platform& platform, const platform::Cluster& cluster, const BackupPlan& plan,
    size_t block_size, std::map<std::string, std::string> known_facts) {
  HS_TRY(CheckBlockSize(block_size));
  const platform::Credentials& creds = ReplicationCredentials(cluster);
  HS_ASSIGN_OR_RETURN(std::string password, creds.password.Resolve());
  const platform::Instance& source = plan.source;
  HS_ASSIGN_OR_RETURN(auto source_handle, platform.OpenInstance(cluster, source));
  HS_ASSIGN_OR_RETURN(PgConnectParams params, InstanceConnectParams(*source_handle));
  params.user = creds.user.empty() ? PgUser(cluster) : creds.user;
  params.password = password;
  params.connect_timeout_seconds = 5;
  // Asked before the backup: the archive's pg_control says it too, but in a layout of the version.
  if (auto session = PgConnection::ConnectInstance(*source_handle); session.ok()) {
    if (auto checksums = (*session)->QueryValue("SHOW data_checksums");
        checksums.ok() && *checksums) {
      known_facts["data_checksums"] = **checksums;
    }
  }
  HS_ASSIGN_OR_RETURN(auto client, BaseBackupClient::Connect(params));
  if (client->server_version() >= BaseBackupClient::kMinServerVersion) {
    core::LogInfo("starting base backup over the replication protocol",
                  {{"instance", source.name}, {"user", params.user}});
    HS_TRY(client->Start(kLabel));
    return std::unique_ptr<NativeBackupStream>(
        std::make_unique<PgNativeStream>(std::move(client), block_size, known_facts));
  }
  client.reset();
  return OpenWithPgBaseBackup(source, params.user, password, block_size, known_facts);
}

}  // namespace

core::Result<std::unique_ptr<NativeBackupStream>> PgNativeBackup::OpenNativeBackup(
    platform::Platform& platform, const platform::Cluster& cluster, const BackupPlan& plan,
    size_t block_size) {
  return OpenBaseBackup(platform, cluster, plan, block_size, {});
}

bool PgNativeBackup::SupportsIncremental() const {
  return true;
}

namespace {

// The facts of the backup just started on `session` (tags of the snapshot): its start, timeline
// and the timeline's history, system identifier, version and checksum state.
core::Status ReadStartFacts(PgConnection& session, const std::string& start_text,
                            IncrementalStreamStart& start) {
  HS_ASSIGN_OR_RETURN(
      std::string timeline,
      SessionValue(session, "SELECT timeline_id::text FROM pg_control_checkpoint()"));
  start.timeline = static_cast<uint32_t>(std::stoul(timeline));
  HS_ASSIGN_OR_RETURN(
      std::string system_id,
      SessionValue(session, "SELECT system_identifier::text FROM pg_control_system()"));
  HS_ASSIGN_OR_RETURN(std::string data_checksums, SessionValue(session, "SHOW data_checksums"));
  HS_ASSIGN_OR_RETURN(std::string version, core::ReadFileToString(start.data_dir + "/PG_VERSION"));
  start.facts = {{"start_lsn", start_text},
                 {"timeline", timeline},
                 {"system_identifier", system_id},
                 {"pg_version", core::TrimTrailingSpace(version)},
                 {"data_checksums", data_checksums}};
  if (start.timeline > 1) {
    // The ancestry the discard gate compares histories with; pg_wal keeps the file for good.
    auto text =
        core::ReadFileToString(start.data_dir + "/pg_wal/" + WalHistoryFileName(start.timeline));
    if (text.ok()) {
      start.facts["timeline_history"] = TimelineHistoryFact(start.timeline, *text);
    } else {
      core::LogWarn("no history file of timeline " + timeline + ": " + text.status().message());
    }
  }
  return core::Status::Ok();
}

// The timeline a standby replays now (the higher of what its WAL receiver receives and its
// minimum recovery point's), 0 on a primary.
core::Result<uint32_t> ReplayTimeline(PgConnection& session) {
  HS_ASSIGN_OR_RETURN(
      std::string timeline,
      SessionValue(session,
                   "SELECT CASE WHEN pg_is_in_recovery() THEN greatest((SELECT "
                   "min_recovery_end_timeline FROM pg_control_recovery()), coalesce((SELECT "
                   "received_tli FROM pg_stat_wal_receiver), 0)) ELSE 0 END::text"));
  return static_cast<uint32_t>(std::stoul(timeline));
}

// Whether the parent's pages may stand for this backup's, and which pages changed since: the
// facts first (parent_check.h), then the parent's WAL against the live server's
// (parent_ancestry.h: same system, timeline and positions are names, not history), then the WAL
// of the interval. Sets the read/reason facts and start.changes.
void ChooseRead(const IncrementalBase& base, bool full_page_writes, IncrementalStreamStart& start) {
  FullReadReason reason =
      ParentMismatch(base.parent_facts, start.facts, start.start_lsn, full_page_writes);
  std::string detail = FullReadReasonName(reason);
  if (reason == FullReadReason::kNone) {
    AncestryVerdict ancestry =
        base.parent_file
            ? ProveParentAncestry(IntervalOf(base.parent_facts), start.wal_sources,
                                  base.parent_file)
            : AncestryVerdict{FullReadReason::kParentUnproven, "the parent's files cannot be read"};
    reason = ancestry.reason;
    detail = ancestry.detail;
    if (reason == FullReadReason::kNone) {
      core::LogInfo("the parent lies on the live history: " + ancestry.detail);
    }
  }
  if (reason == FullReadReason::kNone) {
    IntervalPages pages = ReadIntervalPages(*ParseLsn(base.parent_facts.at("start_lsn")),
                                            start.start_lsn, start.timeline, start.wal_sources);
    reason = pages.reason;
    detail = pages.detail;
    start.wal_bytes_read = pages.wal_bytes_read;
    start.facts["wal_bytes_read"] = std::to_string(pages.wal_bytes_read);
    start.changes = std::move(pages.reader);
  }
  if (reason == FullReadReason::kNone) {
    start.facts["read"] = "incremental";
    // Recorded, so that a later audit tells this backup from the incrementals of releases that
    // lent pages on positions alone (verify/incremental_audit).
    start.facts["parent_proof"] = "wal";
    start.facts["changed_blocks"] = std::to_string(start.changes->Blocks().BlockCount());
    core::LogInfo("the backup reads only the pages changed since its parent",
                  {{"changed_blocks", start.facts["changed_blocks"]},
                   {"wal_records", std::to_string(start.changes->RecordCount())}});
    return;
  }
  start.facts["read"] = "full";
  start.facts["reason"] = FullReadReasonName(reason);
  core::LogWarn("the backup reads every page: " + detail, {{"reason", FullReadReasonName(reason)}});
}

}  // namespace

core::Result<std::unique_ptr<NativeBackupStream>> PgNativeBackup::OpenIncrementalNativeBackup(
    platform::Platform& platform, const platform::Cluster& cluster, const BackupPlan& plan,
    size_t block_size, const IncrementalBase& base) {
  HS_TRY(CheckBlockSize(block_size));
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, plan.source));
  if (!handle->capabilities().Has(platform::Capability::kLocalFilesystem)) {
    return core::Usage("the data directory of '" + plan.source.name + "' is not on this machine",
                       "an incremental native backup reads the data files where they are");
  }
  IncrementalStreamStart start;
  start.data_dir = plan.source.data_dir;
  start.block_size = block_size;
  HS_ASSIGN_OR_RETURN(start.session, PgConnection::ConnectInstance(*handle));
  PgConnection& session = *start.session;
  core::LogInfo("starting a non-exclusive backup that reads the data directory",
                {{"instance", plan.source.name}, {"data_dir", start.data_dir}});
  HS_ASSIGN_OR_RETURN(
      std::string start_text,
      SessionValue(session, std::string("SELECT pg_backup_start('") + kLabel + "', true)::text"));
  std::optional<uint64_t> start_lsn = ParseLsn(start_text);
  if (!start_lsn) {
    return core::Status(core::ErrorCode::kDumpFailed,
                        "pg_backup_start returned '" + start_text + "'");
  }
  start.start_lsn = *start_lsn;
  HS_TRY(ReadStartFacts(session, start_text, start));
  // A standby starts its backup at its last restartpoint, which stays on the timeline before a
  // promotion of its upstream until the new primary's first checkpoint is replayed (minutes after
  // a switchover). From there to the stop the WAL lies on two timelines, which this read cannot
  // name (CheckStoppedOnStartTimeline refused it at the end, and every retry until then); the
  // base backup protocol sends both timelines' WAL and history. Closing the session ends the
  // backup started on it.
  HS_ASSIGN_OR_RETURN(uint32_t replaying, ReplayTimeline(session));
  if (replaying > start.timeline) {
    core::LogWarn("the backup reads every page over the replication protocol: '" +
                      plan.source.name + "' replays timeline " + std::to_string(replaying) +
                      ", its last restartpoint is on timeline " + std::to_string(start.timeline),
                  {{"reason", FullReadReasonName(FullReadReason::kTimelineChanged)}});
    start.session.reset();
    return OpenBaseBackup(
        platform, cluster, plan, block_size,
        {{"read", "full"}, {"reason", FullReadReasonName(FullReadReason::kTimelineChanged)}});
  }
  HS_ASSIGN_OR_RETURN(std::string full_page_writes, SessionValue(session, "SHOW full_page_writes"));
  HS_ASSIGN_OR_RETURN(std::string archive_mode, SessionValue(session, "SHOW archive_mode"));
  // The archive is read only when the server archives: reading an absent one would build an
  // empty archive index in the repository on every backup.
  if (archive_mode != "off" && base.archive != nullptr) {
    start.archive = std::make_unique<WholeSegmentSource>(*base.archive);
  }
  start.local_wal = std::make_unique<LocalWalSource>(start.data_dir + "/pg_wal");
  // The instance's own pg_wal first: a segment it still holds is read in place, only the parts
  // the backup needs; the archive (a segment there is one stored file, read whole) for the
  // older segments pg_wal has recycled.
  start.wal_sources = {start.local_wal.get(), start.archive.get()};
  ChooseRead(base, full_page_writes == "on", start);
  HS_ASSIGN_OR_RETURN(auto stream, PgIncrementalStream::Open(std::move(start)));
  return std::unique_ptr<NativeBackupStream>(std::move(stream));
}

}  // namespace hasteward::engine::postgres
