#include "engine/mariadb/relay_log_replay.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

#include "core/clock.h"
#include "core/failpoint.h"
#include "core/fd.h"
#include "core/log.h"
#include "engine/mariadb/binlog_events.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/probe_account.h"
#include "engine/mariadb/relay_log_layout.h"

namespace hasteward::engine::mariadb {

const char* const kRelayReplayVariablesSql =
    "SELECT @@log_bin AS log_bin, @@log_slave_updates AS log_slave_updates, @@datadir AS datadir, "
    "IFNULL(@@relay_log, '') AS relay_log, IFNULL(@@relay_log_basename, '') AS relay_log_basename, "
    "IFNULL(@@relay_log_index, '') AS relay_log_index, @@server_id AS server_id, "
    "@@slave_parallel_threads AS slave_parallel_threads, "
    "@@slave_parallel_max_queued AS slave_parallel_max_queued, "
    "@@slave_exec_mode AS slave_exec_mode, @@slave_ddl_exec_mode AS slave_ddl_exec_mode, "
    "@@slave_skip_errors AS slave_skip_errors, "
    "@@replicate_events_marked_for_skip AS replicate_events_marked_for_skip, "
    "CONCAT(@@replicate_do_db, @@replicate_ignore_db, @@replicate_do_table, "
    "@@replicate_ignore_table, @@replicate_wild_do_table, @@replicate_wild_ignore_table) "
    "AS replicate_filters";

namespace {

// Workers when the server has fewer configured: the replay is the only writer, and optimistic
// mode retries the rare conflict, so more workers than cores still help (commits wait on I/O).
constexpr unsigned kReplayThreads = 8;
// Bytes the SQL thread may queue per worker: the default 128 KiB stalls the workers behind one
// large row event.
constexpr uint64_t kReplayMaxQueued = 64ULL << 20;
// No progress for this long means the applier is stuck (a lock held by another session).
constexpr std::chrono::minutes kStallLimit{10};

uint64_t NumberOr(const std::string& text, uint64_t fallback) {
  if (text.empty() || !std::all_of(text.begin(), text.end(),
                                   [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return fallback;
  }
  return std::stoull(text);
}

// What the replay changes, as it was before: put back afterwards, also after a failure.
struct SavedSettings {
  std::string server_id;
  std::string slave_parallel_threads;
  std::string slave_parallel_max_queued;
  std::string slave_exec_mode;
  std::string slave_ddl_exec_mode;
};

SavedSettings SaveSettings(const SqlRows& vars) {
  return {vars.GetOr(0, "server_id"), vars.GetOr(0, "slave_parallel_threads"),
          vars.GetOr(0, "slave_parallel_max_queued"), vars.GetOr(0, "slave_exec_mode"),
          vars.GetOr(0, "slave_ddl_exec_mode")};
}

// Writes the files into the data directory as relay logs, with the index; collects the server
// ids their events carry. Events carrying `renumbered` (the server's own id when it cannot change
// it; 0 for none) are given another id first, so the applier does not skip them.
core::Status WriteRelayLogs(platform::InstanceHandle& handle, const BinlogReplayInput& input,
                            const RelayLogLayout& layout, uint32_t renumbered,
                            std::set<uint32_t>& server_ids) {
  for (size_t index = 0; index < input.local_paths.size(); ++index) {
    HS_ASSIGN_OR_RETURN(std::string bytes, core::ReadFileToString(input.local_paths[index]));
    HS_ASSIGN_OR_RETURN(std::set<uint32_t> ids, BinlogEventServerIds(bytes));
    HS_ASSIGN_OR_RETURN(BinlogHeader header, ReadBinlogHeader(bytes));
    // Named like the relay log it becomes: increasing, as the applier's position updates expect.
    HS_ASSIGN_OR_RETURN(bytes,
                        RelayLogFromBinlog(std::move(bytes), "replay-" + layout.files[index]));
    if (renumbered != 0 && ids.count(renumbered) != 0) {
      const uint32_t substitute = ReplayServerId(renumbered, ids);
      HS_TRY(ReplaceEventServerIds(bytes, renumbered, substitute, header.checksums));
      ids.erase(renumbered);
      ids.insert(substitute);
    }
    server_ids.insert(ids.begin(), ids.end());
    // Owner read/write only: the cluster's data; the server reads it as its own OS user.
    HS_TRY(handle.WriteDataFile(layout.files[index], bytes, 0600));
  }
  return handle.WriteDataFile(layout.index_file, layout.index_content, 0600);
}

// One poll: whether the server reached `stop_state`; an error when the applier stopped short.
core::Result<bool> ReachedOrStopped(MariadbConnection& conn, const std::string& stop_state,
                                    std::string& progress) {
  HS_ASSIGN_OR_RETURN(auto waited,
                      conn.QueryValue("SELECT MASTER_GTID_WAIT(" + SqlQuote(stop_state) + ", 1)"));
  if (waited.value_or("") == "0") {
    return true;
  }
  HS_ASSIGN_OR_RETURN(SqlRows status, conn.Query("SHOW SLAVE STATUS"));
  progress = status.GetOr(0, "Relay_Log_File") + ":" + status.GetOr(0, "Relay_Log_Pos");
  if (status.GetOr(0, "Slave_SQL_Running") == "Yes") {
    return false;
  }
  // Stopped (on an error, or by someone): the target may have been reached right after the wait.
  HS_ASSIGN_OR_RETURN(auto now,
                      conn.QueryValue("SELECT MASTER_GTID_WAIT(" + SqlQuote(stop_state) + ", 0)"));
  if (now.value_or("") == "0") {
    return true;
  }
  HS_ASSIGN_OR_RETURN(auto position, conn.QueryValue("SELECT @@gtid_slave_pos"));
  return core::Status(core::ErrorCode::kDumpFailed,
                      "the replication applier on '" + conn.display_name() + "' stopped at GTID " +
                          position.value_or("") + " (relay log " + progress +
                          "), before the target " + stop_state + ": " +
                          status.GetOr(0, "Last_SQL_Error", "no error reported"),
                      "stop the instance and run the same restore again, which starts over from "
                      "the base; the server's error log has the applier's details");
}

core::Status WaitForStop(MariadbConnection& conn, const std::string& stop_state) {
  const core::Clock& clock = core::SystemClock::Get();
  std::string last_progress;
  auto last_change = clock.Monotonic();
  while (true) {
    std::string progress;
    HS_ASSIGN_OR_RETURN(bool reached, ReachedOrStopped(conn, stop_state, progress));
    if (reached) {
      return core::Status::Ok();
    }
    if (progress != last_progress) {
      last_progress = progress;
      last_change = clock.Monotonic();
    } else if (clock.Monotonic() - last_change > kStallLimit) {
      return core::Status(core::ErrorCode::kTimeout,
                          "the replication applier on '" + conn.display_name() +
                              "' made no progress for 10 minutes at relay log " + progress,
                          "look for a session holding locks on it (SHOW PROCESSLIST), then run "
                          "the same restore again");
    }
  }
}

// `server_id`: the id to apply under, 0 to keep the server's own.
core::Status Apply(MariadbConnection& conn, const RelayLogLayout& layout, uint32_t server_id,
                   unsigned threads, const std::string& stop_state) {
  // Every domain's position, so the wait below covers domains the replay does not touch.
  HS_TRY(conn.Execute("SET GLOBAL gtid_slave_pos = @@gtid_binlog_pos"));
  if (server_id != 0) {
    HS_TRY(conn.Execute("SET GLOBAL server_id = " + std::to_string(server_id)));
  }
  HS_TRY(conn.Execute("SET GLOBAL slave_parallel_threads = " + std::to_string(threads)));
  HS_TRY(conn.Execute("SET GLOBAL slave_parallel_max_queued = GREATEST(" +
                      std::to_string(kReplayMaxQueued) + ", @@slave_parallel_max_queued)"));
  // Strict: a transaction the server refuses stops the replay instead of being skipped or
  // turned into something else (the idempotent DDL mode rewrites CREATE and DROP).
  HS_TRY(conn.Execute("SET GLOBAL slave_exec_mode = 'STRICT'"));
  HS_TRY(conn.Execute("SET GLOBAL slave_ddl_exec_mode = 'STRICT'"));
  HS_TRY(conn.Execute(ChangeMasterToRelayLogs(layout)));
  // Optimistic: transactions run in parallel and commit in binlog order; a conflict is rolled
  // back and retried, so the outcome is the serial one whatever the original group commits were.
  HS_TRY(conn.Execute("SET GLOBAL slave_parallel_mode = 'optimistic'"));
  // No UNTIL: the applier checks an UNTIL position only when it reads the next event, and the
  // input ends at the target, so it would never fire; the wait below ends at the target's GTID.
  HS_TRY(conn.Execute("START SLAVE SQL_THREAD"));
  // Killed here, the server goes on applying the relay logs without us.
  core::Failpoint("binlog-restore-replaying");
  return WaitForStop(conn, stop_state);
}

// The base name the server gives its relay logs when relay_log is not set (common: Galera nodes
// and many operators' replicas leave it unset): "<host or --log-basename>-relay-bin", which the
// server reports nowhere (the variables stay NULL) until a replication connection exists. So a
// named connection is made, never started, its first relay log's name
// ("<base>-<connection>.000001") read, and removed again (RESET SLAVE ... ALL deletes the files
// it made). Named, so the default connection the replay then uses is never touched before it.
core::Result<std::string> ProbeDefaultRelayLogBasename(MariadbConnection& conn,
                                                       const std::string& datadir) {
  constexpr const char* kProbe = "hasteward_relay_log_probe";
  HS_TRY(conn.Execute(std::string("CHANGE MASTER '") + kProbe +
                      "' TO MASTER_HOST = 'hasteward-relay-log-probe.invalid'"));
  core::Result<SqlRows> status = conn.Query(std::string("SHOW SLAVE '") + kProbe + "' STATUS");
  core::Status removed = conn.Execute(std::string("RESET SLAVE '") + kProbe + "' ALL");
  HS_TRY(status.status());
  HS_TRY(removed.Wrap("remove the connection that named the relay log"));
  const std::string first = status->GetOr(0, "Relay_Log_File");
  const std::string suffix = std::string("-") + kProbe;
  const auto dot = first.rfind('.');
  if (dot == std::string::npos || dot <= suffix.size() || first.find('/') != std::string::npos ||
      first.compare(dot - suffix.size(), suffix.size(), suffix) != 0) {
    return core::Internal("the server named its relay log '" + first + "', not <name>" + suffix +
                          ".<number> in its data directory");
  }
  std::string dir = datadir;
  if (!dir.empty() && dir.back() != '/') {
    dir += '/';
  }
  return dir + first.substr(0, dot - suffix.size());
}

// Removes the connection and the relay logs, and puts the settings back.
core::Status Restore(MariadbConnection& conn, platform::InstanceHandle& handle,
                     const RelayLogLayout& layout, const SavedSettings& saved,
                     bool server_id_changed) {
  core::Status first;
  auto run = [&](const std::string& sql) {
    core::Status status = conn.Execute(sql);
    if (first.ok() && !status.ok()) {
      first = status;
    }
  };
  HS_ASSIGN_OR_RETURN(SqlRows slaves, conn.Query("SHOW ALL SLAVES STATUS"));
  if (!slaves.empty()) {
    run("STOP SLAVE");
    run("RESET SLAVE ALL");
  }
  // Numbers unquoted (the server refuses a string for them), read back from the server itself.
  if (server_id_changed) {
    run("SET GLOBAL server_id = " + std::to_string(NumberOr(saved.server_id, 1)));
  }
  run("SET GLOBAL slave_parallel_threads = " +
      std::to_string(NumberOr(saved.slave_parallel_threads, 0)));
  run("SET GLOBAL slave_parallel_max_queued = " +
      std::to_string(NumberOr(saved.slave_parallel_max_queued, 131072)));
  run("SET GLOBAL slave_exec_mode = " + SqlQuote(saved.slave_exec_mode));
  run("SET GLOBAL slave_ddl_exec_mode = " + SqlQuote(saved.slave_ddl_exec_mode));
  // gtid_slave_pos stays where the applier left it, the target: moving it back behind the binlog
  // is refused under gtid_strict_mode, and it now says truly what this server has applied.
  // RESET SLAVE ALL deletes the relay logs it knows; these are gone or were never read.
  std::vector<std::string> remove = {"rm", "-f"};
  HS_ASSIGN_OR_RETURN(SqlRows dir, conn.Query("SELECT @@datadir AS datadir"));
  for (const auto& file : layout.files) {
    remove.push_back(dir.GetOr(0, "datadir") + "/" + file);
  }
  remove.push_back(dir.GetOr(0, "datadir") + "/" + layout.index_file);
  HS_ASSIGN_OR_RETURN(core::RunOutput removed, handle.Run(remove));
  if (first.ok() && !removed.status.ok()) {
    first = core::Internal("remove the replay's relay logs on '" + conn.display_name() +
                           "': " + removed.err);
  }
  return first;
}

}  // namespace

std::string ParallelReplayRefusal(const SqlRows& variables, bool replicating) {
  if (variables.size() != 1) {
    return "the server did not report its replication settings";
  }
  auto value = [&variables](const char* name) {
    return variables.GetOr(0, name);
  };
  if (value("log_bin") != "1" || value("log_slave_updates") != "1") {
    return "log_bin or log_slave_updates is off: the applier would not write the replayed "
           "transactions to the binlog the replicas and the archive read";
  }
  if (!value("replicate_filters").empty()) {
    return "replication filters (replicate_do_db, replicate_ignore_table, ...) are set: the "
           "applier would skip the transactions they name";
  }
  if (value("slave_skip_errors") != "OFF") {
    return "slave_skip_errors is set: the applier would skip a transaction the server refuses";
  }
  if (value("replicate_events_marked_for_skip") != "REPLICATE") {
    return "replicate_events_marked_for_skip is not REPLICATE: the applier would skip events "
           "written with skip_replication";
  }
  if (replicating) {
    return "the instance has a replication connection";
  }
  return "";
}

core::Result<BinlogReplayReport> ReplayThroughParallelApplier(platform::Platform& platform,
                                                              const platform::Cluster& cluster,
                                                              const platform::Instance& target,
                                                              const BinlogReplayInput& input,
                                                              bool server_id_fixed) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, target));
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(*handle));
  HS_ASSIGN_OR_RETURN(SqlRows vars, conn->Query(kRelayReplayVariablesSql));
  HS_ASSIGN_OR_RETURN(SqlRows slaves, conn->Query("SHOW ALL SLAVES STATUS"));
  BinlogReplayReport report;
  report.fallback_reason = ParallelReplayRefusal(vars, !slaves.empty());
  if (report.fallback_reason.empty() &&
      !handle->capabilities().Has(platform::Capability::kLocalFilesystem)) {
    // A pod's data directory: the relay logs cannot be written into it from here, while the
    // client reaches the server through the same connection as every query.
    report.fallback_reason = "the data directory of '" + target.name +
                             "' is not on this machine, where the relay logs would be written";
  }
  std::string basename = vars.GetOr(0, "relay_log_basename");
  if (report.fallback_reason.empty() && basename.empty()) {
    // A probe that fails (a privilege, an odd name) costs the speed, not the restore: the
    // client replays instead, as for any other refusal.
    core::Result<std::string> probed =
        ProbeDefaultRelayLogBasename(*conn, vars.GetOr(0, "datadir"));
    if (!probed.ok()) {
      report.fallback_reason = "relay_log is not set and its default name could not be learned: " +
                               probed.status().message();
      return report;
    }
    basename = *probed;
    core::LogInfo("relay_log is not set on '" + target.name + "'; its relay logs are named '" +
                  basename + ".*'");
  }
  auto layout = PlanRelayLogLayout({vars.GetOr(0, "datadir"), vars.GetOr(0, "relay_log"), basename,
                                    vars.GetOr(0, "relay_log_index")},
                                   input.local_paths.size());
  if (report.fallback_reason.empty() && !layout.ok()) {
    report.fallback_reason = layout.status().message();
  }
  if (!report.fallback_reason.empty()) {
    return report;
  }
  const SavedSettings saved = SaveSettings(vars);
  const auto own = static_cast<uint32_t>(NumberOr(saved.server_id, 0));
  std::set<uint32_t> server_ids;
  core::Status applied =
      WriteRelayLogs(*handle, input, *layout, server_id_fixed ? own : 0, server_ids);
  // The server's own id when no event carries it (always so once the events were renumbered).
  const uint32_t replay_id = ReplayServerId(own, server_ids);
  const uint32_t new_server_id = replay_id == own ? 0 : replay_id;  // 0: unchanged
  report.applier = BinlogApplier::kParallel;
  report.threads = std::max<unsigned>(
      kReplayThreads, static_cast<unsigned>(NumberOr(saved.slave_parallel_threads, 0)));
  if (applied.ok()) {
    core::LogInfo("replaying through the parallel replication applier of '" + target.name + "'",
                  {{"threads", std::to_string(report.threads)},
                   {"relay_logs", std::to_string(layout->files.size())}});
    applied = Apply(*conn, *layout, new_server_id, report.threads, input.stop_state);
  }
  core::Status restored = Restore(*conn, *handle, *layout, saved, new_server_id != 0);
  HS_TRY(applied);
  HS_TRY(restored.Wrap("put back the replication settings after the replay"));
  return report;
}

}  // namespace hasteward::engine::mariadb
