#include "engine/postgres/pg_archiving.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include <unistd.h>

#include "core/log.h"
#include "core/poll_until.h"
#include "core/wait_for.h"
#include "engine/instance_handles.h"
#include "engine/postgres/archive_end_proof.h"
#include "engine/postgres/history_file.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/synchronous_primary.h"
#include "engine/postgres/triage_timeline.h"
#include "engine/postgres/wal_names.h"
#include "engine/postgres/wal_stream_client.h"
#include "engine/repair_exec.h"

namespace hasteward::engine::postgres {

namespace {

constexpr char kReadySuffix[] = ".ready";
constexpr auto kArchiveProofTimeout = std::chrono::seconds(90);

std::string DirectoryOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// Waits until the server reports `segment` (or a later file) archived; fails at once when the
// archiver reports a failure of that very file, quoting what the server logged about it.
core::Status WaitArchived(PgConnection& conn, const std::string& segment,
                          const std::string& instance) {
  core::Status failed;
  core::Status waited = core::WaitFor(
      "'" + instance + "' to archive '" + segment + "'", kArchiveProofTimeout,
      [&]() -> core::Result<bool> {
        HS_ASSIGN_OR_RETURN(auto rows, conn.Query("SELECT coalesce(last_archived_wal, ''), "
                                                  "coalesce(last_failed_wal, ''), failed_count "
                                                  "FROM pg_stat_archiver"));
        if (rows.rows.empty() || rows.rows[0].size() < 3) {
          return false;
        }
        const auto& row = rows.rows[0];
        if (row[0].value_or("") >= segment) {
          return true;
        }
        if (row[1].value_or("") == segment) {
          failed = core::Status(core::ErrorCode::kDumpFailed,
                                "'" + instance + "' failed to archive '" + segment + "' (" +
                                    row[2].value_or("?") + " failures so far)",
                                "read the server log for the archive_command's error (repository "
                                "location, password file readable by the server's OS user)");
          return true;
        }
        return false;
      });
  HS_TRY(waited);
  return failed;
}

// Writes the archive settings on a standby too: whichever instance a switchover or failover
// promotes must archive from its first moment on, since only then does it queue the new
// timeline's history file and segments (a server whose archive_mode was off at its promotion
// never archives them, and a restore could not follow it). A standby with archive_mode = on
// archives nothing while it replays. An unreachable standby is left alone with a warning.
core::Status EnableOnStandby(platform::InstanceHandle& standby_handle,
                             const ArchiveCommands& commands) {
  const platform::Instance& standby = standby_handle.instance();
  auto conn = PgConnection::ConnectInstance(standby_handle);
  if (!conn.ok()) {
    core::LogWarn("'" + standby.name + "' is not reachable and will not archive if promoted: " +
                  conn.status().message() + "; run 'hasteward archive enable' again once it runs");
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(auto mode, (*conn)->QueryValue("SHOW archive_mode"));
  HS_TRY((*conn)->Execute("ALTER SYSTEM SET archive_command = " +
                          SqlLiteral(commands.archive_command)));
  HS_TRY((*conn)->Execute("ALTER SYSTEM SET restore_command = " +
                          SqlLiteral(commands.restore_command)));
  if (commands.synchronous_receiver) {
    // Ignored while it stands by; once promoted (a switchover) it waits for the receiver, which
    // follows the new primary, so the recovery point stays zero across the switch.
    HS_TRY((*conn)->Execute(std::string("ALTER SYSTEM SET synchronous_standby_names = '") +
                            kWalReceiverName + "'"));
    HS_TRY((*conn)->Execute("ALTER SYSTEM SET synchronous_commit = 'on'"));
  }
  if (mode.value_or("") == "on" || mode.value_or("") == "always") {
    return (*conn)->Execute("SELECT pg_reload_conf()");
  }
  HS_TRY((*conn)->Execute("ALTER SYSTEM SET archive_mode = 'on'"));
  conn->reset();
  core::LogInfo("restarting standby '" + standby.name + "' to turn archive_mode on");
  HS_TRY(standby_handle.Stop(platform::InstanceHandle::kDefaultStopTimeout)
             .Wrap("stop '" + standby.name + "'"));
  return standby_handle.Start().Wrap("start '" + standby.name + "'");
}

}  // namespace

std::string SqlLiteral(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') {
      out += '\'';
    }
  }
  return out + "'";
}

core::Result<ArchiveFile> PgArchiving::ParseFileName(const std::string& name) const {
  return ParseWalFileName(name);
}
std::string PgArchiving::SegmentFileName(uint32_t timeline, uint64_t segment) const {
  return WalSegmentFileName(timeline, segment);
}
uint64_t PgArchiving::SegmentBytes() const {
  return kWalSegmentBytes;
}
std::string PgArchiving::HistoryFileName(uint32_t timeline) const {
  return WalHistoryFileName(timeline);
}

core::Result<std::vector<TimelineBranch>> PgArchiving::ParseTimelineHistory(
    const std::string& text) const {
  return ParseHistoryFile(text);
}

core::Result<uint64_t> PgArchiving::ParsePosition(const std::string& text) const {
  std::optional<uint64_t> lsn = ParseLsn(text);
  if (!lsn) {
    return core::Usage("'" + text + "' is not a WAL position",
                       "write it as PostgreSQL does, e.g. 0/3000A38 (pg_current_wal_lsn())");
  }
  return *lsn;
}
std::string PgArchiving::FormatPosition(uint64_t position) const {
  return FormatLsn(position);
}

core::Result<std::vector<std::string>> PgArchiving::QueuedFiles(const std::string& requested_path,
                                                                size_t limit) const {
  std::string wal_dir = DirectoryOf(requested_path);
  std::string requested = requested_path.substr(requested_path.rfind('/') + 1);
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(wal_dir + "/archive_status", error)) {
    std::string file = entry.path().filename().string();
    if (!file.ends_with(kReadySuffix)) {
      continue;
    }
    std::string name = file.substr(0, file.size() - std::string(kReadySuffix).size());
    if (name != requested && ParseWalFileName(name).ok()) {
      names.push_back(name);
    }
  }
  if (error) {
    // Without the queue the push still stores the requested file; batching is only a speed-up.
    core::LogWarn("cannot read '" + wal_dir + "/archive_status': " + error.message());
    return std::vector<std::string>{};
  }
  // History files sort after segments of the same timeline in name order; the server archives
  // them first, and so do we (a restore needs the history before the new timeline's segments).
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    bool a_history = a.ends_with(".history");
    bool b_history = b.ends_with(".history");
    return a_history != b_history ? a_history : a < b;
  });
  if (names.size() > limit) {
    names.resize(limit);
  }
  std::vector<std::string> paths;
  paths.reserve(names.size());
  for (const auto& name : names) {
    paths.push_back(wal_dir);
    paths.back().append("/").append(name);
  }
  return paths;
}

std::string PgArchiving::PrefetchDir(const std::string& requested_path) const {
  // Below pg_wal: the server ignores names that are not WAL files there, and base backups do not
  // copy the directory's contents.
  return DirectoryOf(requested_path) + "/hasteward-prefetch";
}

bool PgArchiving::FetchingServerStandsBy() const {
  // The server runs restore_command in its data directory. With standby.signal it is in standby
  // mode (which wins over recovery.signal): it never ends recovery on a fetch's answer, it only
  // waits for streaming or the next call.
  return ::access("standby.signal", F_OK) == 0;
}

namespace {

// How long `archive enable --sync` waits for the receiver to stream before it refuses.
constexpr std::chrono::seconds kReceiverWait{30};

// Only once the receiver streams: naming a synchronous standby that is not there stops every
// commit until it comes.
core::Status MakeReceiverSynchronous(PgConnection& conn, const std::string& primary) {
  const std::string streaming = std::string(
                                    "SELECT count(*) FROM pg_stat_replication WHERE "
                                    "application_name = '") +
                                kWalReceiverName + "' AND state = 'streaming'";
  bool found = false;
  core::PollUntil(
      [&] {
        auto count = conn.QueryValue(streaming);
        found = count.ok() && count->value_or("0") != "0";
        return found;
      },
      kReceiverWait, std::chrono::milliseconds(200));
  if (!found) {
    return core::Status(core::ErrorCode::kUsage,
                        "no WAL receiver streams from '" + primary + "' (application_name '" +
                            kWalReceiverName + "' in pg_stat_replication)",
                        "start 'hasteward wal-receive' for this cluster (or serve with the "
                        "receiver on) first: a synchronous standby that is not there stops every "
                        "commit");
  }
  HS_TRY(conn.Execute(std::string("ALTER SYSTEM SET synchronous_standby_names = '") +
                      kWalReceiverName + "'"));
  HS_TRY(conn.Execute("ALTER SYSTEM SET synchronous_commit = 'on'"));
  HS_TRY(conn.Execute("SELECT pg_reload_conf()"));
  core::LogInfo("'" + primary + "' acknowledges a commit once the repository holds it",
                {{"synchronous_standby_names", kWalReceiverName}});
  return core::Status::Ok();
}

}  // namespace

core::Status PgArchiving::EnableArchiving(platform::Platform& platform,
                                          const platform::Cluster& cluster,
                                          const ArchiveCommands& commands) {
  HS_ASSIGN_OR_RETURN(BackupPlan plan, planner_.PlanBackup(platform, cluster));
  const platform::Instance& primary = plan.source;
  InstanceHandles handles(platform, cluster);
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * primary_handle, handles.Open(primary));
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(*primary_handle));
  HS_ASSIGN_OR_RETURN(auto mode, conn->QueryValue("SHOW archive_mode"));
  HS_TRY(
      conn->Execute("ALTER SYSTEM SET archive_command = " + SqlLiteral(commands.archive_command)));
  HS_TRY(
      conn->Execute("ALTER SYSTEM SET restore_command = " + SqlLiteral(commands.restore_command)));
  if (mode.value_or("") != "on") {
    // archive_mode takes effect only at server start.
    HS_TRY(conn->Execute("ALTER SYSTEM SET archive_mode = 'on'"));
    conn.reset();
    core::LogInfo("restarting '" + primary.name + "' to turn archive_mode on");
    HS_TRY(primary_handle->Stop(platform::InstanceHandle::kDefaultStopTimeout)
               .Wrap("stop '" + primary.name + "'"));
    HS_TRY(primary_handle->Start().Wrap("start '" + primary.name + "'"));
    HS_ASSIGN_OR_RETURN(conn, PgConnection::ConnectInstance(*primary_handle));
  } else {
    HS_TRY(conn->Execute("SELECT pg_reload_conf()"));
  }
  // Proof that the command works: a committed transaction, then a switch completes its segment.
  HS_TRY(conn->Execute("SELECT txid_current()"));
  HS_ASSIGN_OR_RETURN(auto segment,
                      conn->QueryValue("SELECT pg_walfile_name(pg_current_wal_lsn())"));
  HS_TRY(conn->Execute("SELECT pg_switch_wal()"));
  HS_TRY(WaitArchived(*conn, segment.value_or(""), primary.name));
  core::LogInfo("'" + primary.name + "' archives through hasteward",
                {{"segment", segment.value_or("")}});
  for (const auto& instance : cluster.instances) {
    if (instance.name != primary.name) {
      HS_ASSIGN_OR_RETURN(platform::InstanceHandle * standby, handles.Open(instance));
      HS_TRY(EnableOnStandby(*standby, commands));
    }
  }
  if (commands.synchronous_receiver) {
    HS_TRY(MakeReceiverSynchronous(*conn, primary.name));
  }
  return core::Status::Ok();
}

core::Result<bool> PgArchiving::HoldsTransaction(platform::Platform& platform,
                                                 const platform::Cluster& cluster,
                                                 const ArchivedFileRead& read,
                                                 const TransactionQuery& query) const {
  HS_ASSIGN_OR_RETURN(std::string dump,
                      DumpArchivedFile(platform, cluster, read, {"-r", "Transaction"}));
  return postgres::HoldsTransaction(dump, query);
}

core::Result<ArchiverState> PgArchiving::ReadArchiverState(platform::Platform& platform,
                                                           const platform::Cluster& cluster) {
  HS_ASSIGN_OR_RETURN(BackupPlan plan, planner_.PlanBackup(platform, cluster));
  HS_ASSIGN_OR_RETURN(auto source, platform.OpenInstance(cluster, plan.source));
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(*source));
  // The queue is counted from archive_status (.ready files): segments complete but not archived,
  // which is what an outage of the repository piles up.
  HS_ASSIGN_OR_RETURN(
      auto rows,
      conn->Query("SELECT current_setting('archive_mode'), current_setting('archive_command'), "
                  "pg_walfile_name(pg_current_wal_lsn()), coalesce(last_archived_wal, ''), "
                  "coalesce(extract(epoch FROM last_archived_time)::bigint, 0), "
                  "coalesce(last_failed_wal, ''), "
                  "coalesce(extract(epoch FROM last_failed_time)::bigint, 0), "
                  "(SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready') "
                  "FROM pg_stat_archiver"));
  if (rows.rows.empty() || rows.rows[0].size() < 8) {
    return core::Status(core::ErrorCode::kInternal, "pg_stat_archiver returned no row",
                        "check that '" + plan.source.name + "' is a PostgreSQL primary");
  }
  const auto& row = rows.rows[0];
  auto text = [&row](size_t i) {
    return row[i].value_or("");
  };
  auto number = [&row](size_t i) {
    return std::strtoll(row[i].value_or("0").c_str(), nullptr, 10);
  };
  ArchiverState state;
  const std::string mode = text(0);
  state.enabled =
      (mode == "on" || mode == "always") && text(1).find(" wal-push ") != std::string::npos;
  state.current_file = text(2);
  state.last_archived = text(3);
  state.last_archived_time = number(4);
  state.last_failed = text(5);
  state.last_failed_time = number(6);
  state.waiting = number(7);
  return state;
}

core::Result<bool> PgArchiving::ReleaseStalledCommits(platform::Platform& platform,
                                                      const platform::Cluster& cluster,
                                                      std::chrono::milliseconds bound) {
  HS_ASSIGN_OR_RETURN(BackupPlan plan, planner_.PlanBackup(platform, cluster));
  HS_ASSIGN_OR_RETURN(auto primary, platform.OpenInstance(cluster, plan.source));
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(*primary));
  HS_ASSIGN_OR_RETURN(auto names, conn->QueryValue("SHOW synchronous_standby_names"));
  if (!WalReceiverMayAcknowledge(names.value_or(""))) {
    return false;
  }
  // How long the oldest commit has waited for a synchronous standby (its statement's start: a
  // commit waits at the statement's end, so this errs long by the statement's own run time).
  HS_ASSIGN_OR_RETURN(
      auto waited,
      conn->QueryValue("SELECT coalesce(max(extract(epoch FROM clock_timestamp() - query_start)), "
                       "0) FROM pg_stat_activity WHERE wait_event = 'SyncRep'"));
  const double seconds = std::strtod(waited.value_or("0").c_str(), nullptr);
  if (seconds * 1000 < static_cast<double>(bound.count())) {
    return false;
  }
  HS_TRY(FallBackFromReceiver(*conn));
  return true;
}

core::Result<std::unique_ptr<WalStreamSource>> PgArchiving::OpenWalStream(
    const platform::InstanceHandle& primary) const {
  return OpenWalStreamSource(primary);
}

}  // namespace hasteward::engine::postgres
