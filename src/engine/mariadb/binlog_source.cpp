#include "engine/mariadb/binlog_source.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <string_view>

#include "core/failpoint.h"
#include "core/log.h"
#include "core/temp_dir.h"
#include "engine/client_tools.h"
#include "engine/instance_handles.h"
#include "engine/mariadb/binlog_events.h"
#include "engine/mariadb/binlog_stream_client.h"
#include "engine/mariadb/client_args.h"
#include "engine/mariadb/gtid_compare.h"
#include "engine/mariadb/last_transaction_split.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/persisted_fence.h"
#include "engine/mariadb/relay_log_replay.h"
#include "engine/mariadb/session_server_id_filter.h"
#include "engine/mariadb/triage.h"

namespace hasteward::engine::mariadb {

namespace {

// Galera's wsrep_local_state for a node that applies and accepts writes.
constexpr const char* kGaleraSynced = "4";

// What one instance says about itself as a possible binlog writer.
struct WriterProbe {
  const platform::Instance* instance = nullptr;
  bool reachable = false;
  std::string unreachable_reason;
  bool log_bin = false;
  bool writable = false;    // read_only off
  bool replicates = false;  // has a replication source configured
  bool galera_synced = false;
  // Galera: why a node that is not Synced does not qualify ("Initialized, non-Primary"): a node
  // can be reachable and writable (read_only off) and still outside the primary component.
  std::string galera_state;
  // Galera: every write set in this node's binlog (log_slave_updates), with the GTID every node
  // gives it (wsrep_gtid_mode).
  bool galera_logs_every_write_set = false;
  uint32_t server_id = 0;
  std::string gtid_binlog_pos;
  std::string binlog_basename;
};

core::Result<uint32_t> ParseServerId(const std::string& text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(),
                                   [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return core::Status(core::ErrorCode::kInternal, "server_id '" + text + "' is not a number");
  }
  return static_cast<uint32_t>(std::stoul(text));
}

WriterProbe Probe(InstanceHandles& handles, const platform::Instance& instance, bool galera) {
  WriterProbe probe;
  probe.instance = &instance;
  auto handle = handles.Open(instance);
  if (!handle.ok()) {
    probe.unreachable_reason = handle.status().message();
    return probe;
  }
  auto conn = MariadbConnection::ConnectInstance(**handle);
  if (!conn.ok()) {
    probe.unreachable_reason = conn.status().message();
    return probe;
  }
  auto vars = (*conn)->Query(
      "SELECT @@server_id AS server_id, @@log_bin AS log_bin, @@read_only AS read_only, "
      "@@gtid_binlog_pos AS gtid_binlog_pos, IFNULL(@@log_bin_basename, '') AS basename");
  auto replication = (*conn)->Query("SHOW SLAVE STATUS");
  std::optional<std::string> state;
  if (galera) {
    auto status = (*conn)->GlobalStatus("wsrep_local_state");
    state = status.ok() ? *status : std::nullopt;
    auto comment = (*conn)->GlobalStatus("wsrep_local_state_comment");
    auto component = (*conn)->GlobalStatus("wsrep_cluster_status");
    probe.galera_state =
        (comment.ok() && comment->has_value() ? **comment : "state unknown") + ", " +
        (component.ok() && component->has_value() ? **component : "component unknown");
    auto modes = (*conn)->QueryValue("SELECT @@log_slave_updates AND @@wsrep_gtid_mode");
    probe.galera_logs_every_write_set = modes.ok() && modes->value_or("0") == "1";
  }
  if (!vars.ok() || vars->size() != 1 || !replication.ok()) {
    probe.unreachable_reason = !vars.ok()          ? vars.status().message()
                               : !replication.ok() ? replication.status().message()
                                                   : "no answer to the variables query";
    return probe;
  }
  auto server_id = ParseServerId(vars->GetOr(0, "server_id"));
  if (!server_id.ok()) {
    probe.unreachable_reason = server_id.status().message();
    return probe;
  }
  probe.reachable = true;
  probe.server_id = *server_id;
  probe.log_bin = vars->GetOr(0, "log_bin") == "1";
  probe.writable = vars->GetOr(0, "read_only") == "0";
  probe.gtid_binlog_pos = vars->GetOr(0, "gtid_binlog_pos");
  probe.binlog_basename = vars->GetOr(0, "basename");
  probe.replicates = !replication->empty() && !replication->GetOr(0, "Master_Host").empty();
  probe.galera_synced = state.has_value() && *state == kGaleraSynced;
  return probe;
}

std::string DirectoryOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

core::Result<BinlogWriter> ToWriter(const WriterProbe& probe, bool galera) {
  if (!probe.log_bin || probe.binlog_basename.empty()) {
    return core::Usage("'" + probe.instance->name + "' writes no binlog (log_bin is off)",
                       "point-in-time recovery of MariaDB needs log_bin on the writing instances "
                       "(and log_slave_updates on replicas and Galera nodes)");
  }
  // Why refuse: without log_slave_updates a node's binlog lacks the write sets other nodes took,
  // and without wsrep_gtid_mode each node numbers them its own way, so switching nodes would lose
  // or repeat transactions silently (a collector that switched nodes did exactly that).
  if (galera && !probe.galera_logs_every_write_set) {
    return core::Usage("galera node '" + probe.instance->name +
                           "' runs without log_slave_updates or wsrep_gtid_mode: its binlog does "
                           "not hold every write set under the GTID the other nodes give it",
                       "set log_slave_updates = ON, wsrep_gtid_mode = ON and one "
                       "wsrep_gtid_domain_id on every node (docs/pitr.md)");
  }
  BinlogWriter writer;
  writer.instance = *probe.instance;
  writer.server_id = probe.server_id;
  writer.binlog_dir = DirectoryOf(probe.binlog_basename);
  writer.gtid_binlog_pos = probe.gtid_binlog_pos;
  return writer;
}

std::string DescribeProbes(const std::vector<WriterProbe>& probes) {
  std::string text;
  for (const auto& probe : probes) {
    text += (text.empty() ? "" : "; ") + probe.instance->name + ": ";
    if (!probe.reachable) {
      text += "unreachable (" + probe.unreachable_reason + ")";
    } else {
      text += std::string(probe.writable ? "writable" : "read-only") +
              (probe.replicates ? ", replicates" : "") + (probe.log_bin ? "" : ", no binlog");
      if (!probe.galera_state.empty() && !probe.galera_synced) {
        text += ", not Synced (" + probe.galera_state + ")";
      }
    }
  }
  return text;
}

using GtidState = std::map<long, std::pair<long, long>>;  // domain -> (server id, sequence)

std::string FormatGtidState(const GtidState& state) {
  std::string text;
  for (const auto& [domain, position] : state) {
    text += (text.empty() ? "" : ",") + std::to_string(domain) + "-" +
            std::to_string(position.first) + "-" + std::to_string(position.second);
  }
  return text;
}

std::string WithoutServerIds(const std::string& state) {
  GtidState parsed = ParseGtidList(state);
  for (auto& [domain, position] : parsed) {
    position.first = 0;
  }
  return FormatGtidState(parsed);
}

}  // namespace

std::string MariadbBinlogSource::AdvanceGtidState(const std::string& state,
                                                  const std::vector<std::string>& gtids) const {
  GtidState advanced = ParseGtidList(state);
  for (const auto& gtid : gtids) {
    for (const auto& [domain, position] : ParseGtidList(gtid)) {
      advanced[domain] = position;  // binlog order: the later transaction of a domain wins
    }
  }
  return FormatGtidState(advanced);
}

std::string MariadbBinlogSource::MergeGtidStates(const std::vector<std::string>& states) const {
  GtidState merged;
  for (const auto& state : states) {
    for (const auto& [domain, position] : ParseGtidList(state)) {
      auto it = merged.find(domain);
      if (it == merged.end() || position.second > it->second.second) {
        merged[domain] = position;
      }
    }
  }
  return FormatGtidState(merged);
}

bool MariadbBinlogSource::StateIncludes(const std::string& state,
                                        const std::string& position) const {
  if (galera_) {
    // A Galera write set's GTID is its cluster domain and sequence number; the server id in it
    // is that of the node that bootstrapped the cluster last (a restore bootstraps again), so
    // the same transaction, replayed, carries another one. Compared by sequence number alone.
    GtidOrder order = CompareGtidPositions(WithoutServerIds(position), WithoutServerIds(state));
    return order == GtidOrder::kEqual || order == GtidOrder::kBehind;
  }
  GtidOrder order = CompareGtidPositions(position, state);
  return order == GtidOrder::kEqual || order == GtidOrder::kBehind;
}

bool MariadbBinlogSource::Follows(const std::string& state, const std::string& gtid) const {
  GtidState parsed = ParseGtidList(gtid);
  if (parsed.size() != 1) {
    return false;
  }
  const auto& [domain, position] = *parsed.begin();
  GtidState current = ParseGtidList(state);
  auto it = current.find(domain);
  long previous = it == current.end() ? 0 : it->second.second;
  return position.second == previous + 1;
}

core::Result<BinlogReplayReport> MariadbBinlogSource::ReplayBinlogs(
    platform::Platform& platform, const platform::Cluster& cluster,
    const platform::Instance& target, const BinlogReplayInput& input) {
  if (galera_) {
    return ReplayOnGalera(platform, cluster, target, input);
  }
  HS_ASSIGN_OR_RETURN(BinlogReplayReport report,
                      ReplayThroughParallelApplier(platform, cluster, target, input,
                                                   /*server_id_fixed=*/false));
  if (report.applier == BinlogApplier::kParallel) {
    return report;
  }
  core::LogWarn("replaying through the client, not the parallel applier, of '" + target.name + "'",
                {{"reason", report.fallback_reason}});
  for (const auto& path : input.local_paths) {
    HS_TRY(ReplayThroughClient(cluster, target, path));
    core::Failpoint("binlog-restore-replaying");  // some files replayed, the rest not
  }
  return report;
}

core::Result<BinlogReplayReport> MariadbBinlogSource::ReplayOnGalera(
    platform::Platform& platform, const platform::Cluster& cluster,
    const platform::Instance& target, const BinlogReplayInput& input) {
  // The applier's transactions keep their GTIDs (its server id renumbered in the relay logs: the
  // node refuses a new server_id) but do not move the node's wsrep GTID counter; left behind, it
  // would number the cluster's next writes with the replay's sequence numbers, and a later
  // restore, which orders a Galera archive by sequence number, would skip them. The last
  // transaction, given to the node with wsrep_gtid_seq_no, moves the counter to the target.
  HS_ASSIGN_OR_RETURN(core::TempDir scratch,
                      core::TempDir::CreateOwned("hasteward-galera-replay-"));
  HS_ASSIGN_OR_RETURN(LastTransactionSplit split,
                      SplitOffLastTransaction(input.local_paths, scratch.path()));
  BinlogReplayReport report;
  report.fallback_reason = "a single transaction";
  if (split.before_transactions > 0) {
    HS_ASSIGN_OR_RETURN(
        report, ReplayThroughParallelApplier(
                    platform, cluster, target,
                    {split.before_paths, StateBeforeLast(input.stop_state, split.last_gtid)},
                    /*server_id_fixed=*/true));
  }
  if (report.applier != BinlogApplier::kParallel) {
    core::LogWarn(
        "replaying through the client, not the parallel applier, of '" + target.name + "'",
        {{"reason", report.fallback_reason}});
    for (const auto& path : split.before_paths) {
      HS_TRY(ReplayThroughClient(cluster, target, path));
    }
  }
  core::Failpoint("binlog-restore-replaying");  // all but the last transaction replayed
  HS_TRY(ReplayThroughClient(cluster, target, split.last_path,
                             SessionServerIdFilter::Numbering::kByTheNode));
  return report;
}

core::Status MariadbBinlogSource::ReplayThroughClient(const platform::Cluster& cluster,
                                                      const platform::Instance& target,
                                                      const std::string& local_path,
                                                      SessionServerIdFilter::Numbering numbering) {
  // mariadb-binlog turns the events into statements that carry each transaction's GTID
  // (SET gtid_domain_id / server_id / gtid_seq_no), so the target writes them to its own binlog
  // with their original GTIDs and its replicas receive them; its last line is the end marker the
  // restore client waits for before it is told to quit.
  constexpr const char* kDecodedEndMarker = "# End of log file";
  core::SubprocessOptions decode;
  decode.argv = {ToolPath(target, "mariadb-binlog"), "--no-defaults", local_path};
  HS_ASSIGN_OR_RETURN(auto decoded,
                      ToolDumpStream::Start(std::move(decode), ToolSecrets(), kDecodedEndMarker));
  core::SubprocessOptions apply;
  apply.env_unset = {"MYSQL_PWD", "MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_UNIX_PORT"};
  HS_ASSIGN_OR_RETURN(ToolSecrets secrets,
                      MariadbClientArgs(cluster, target, "mariadb", &apply.argv));
  for (const char* flag : {"--batch", "--binary-mode", "--max-allowed-packet=1G"}) {
    apply.argv.emplace_back(flag);
  }
  HS_ASSIGN_OR_RETURN(auto sink, ToolRestoreSink::Start(std::move(apply), std::move(secrets),
                                                        DescribeInstance(target),
                                                        MariadbClientEnd(kDecodedEndMarker)));
  std::vector<uint8_t> buffer(1 << 20);
  SessionServerIdFilter filter(numbering);
  auto write = [&sink](const std::string& text) {
    return sink->Write(core::ByteView(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  };
  while (true) {
    HS_ASSIGN_OR_RETURN(size_t read, decoded->Read(buffer));
    if (read == 0) {
      break;
    }
    if (!galera_) {
      HS_TRY(sink->Write(core::ByteView(buffer.data(), read)));
      continue;
    }
    HS_TRY(
        write(filter.Feed(std::string_view(reinterpret_cast<const char*>(buffer.data()), read))));
  }
  if (galera_) {
    HS_TRY(write(filter.Finish()));
  }
  return sink->Close();
}

core::Result<std::string> MariadbBinlogSource::BinlogPosition(
    const platform::InstanceHandle& instance) {
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(instance));
  HS_ASSIGN_OR_RETURN(auto position, conn->QueryValue("SELECT @@gtid_binlog_pos"));
  return position.value_or("");
}

core::Status MariadbBinlogSource::OpenForWrites(platform::Platform& platform,
                                                const platform::Cluster& cluster,
                                                const platform::Instance& primary) {
  // Replication: only the primary was opened by the restore; its replicas are read-only replicas
  // by their own configuration. Galera: the restore fenced every node.
  std::vector<platform::Instance> fenced = {primary};
  if (galera_) {
    fenced = cluster.instances;
  }
  for (const auto& instance : fenced) {
    // The configuration first: a server never runs writable with a fence saying otherwise.
    HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, instance));
    HS_TRY(RemovePersistedFence(*handle).Wrap("remove the restore's read_only fence of '" +
                                              instance.name + "'"));
    HS_TRY(SetReadOnly(*handle, false));
  }
  return core::Status::Ok();
}

bool IsPlainBinlogFileName(const std::string& name) {
  return !name.empty() && name.front() != '.' &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) {
           return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_';
         });
}

core::Result<BinlogWriter> MariadbBinlogSource::FindWriter(platform::Platform& platform,
                                                           const platform::Cluster& cluster,
                                                           const std::string& preferred) {
  std::vector<WriterProbe> probes;
  probes.reserve(cluster.instances.size());
  InstanceHandles handles(platform, cluster);
  for (const auto& instance : cluster.instances) {
    probes.push_back(Probe(handles, instance, galera_));
  }
  std::vector<const WriterProbe*> candidates;
  for (const auto& probe : probes) {
    bool qualifies = galera_ ? probe.reachable && probe.galera_synced
                             : probe.reachable && probe.writable && !probe.replicates;
    if (qualifies) {
      candidates.push_back(&probe);
    }
  }
  if (candidates.empty()) {
    return core::Status(core::ErrorCode::kUnreachable,
                        std::string("no instance of '") + cluster.name + "' " +
                            (galera_ ? "is a Synced Galera node" : "is a writable primary") +
                            " to archive binlogs from (" + DescribeProbes(probes) + ")",
                        "archiving resumes from where it stopped once a writer is back; check "
                        "'hasteward triage'");
  }
  if (galera_) {
    // Stay on the node the archive follows while it qualifies: switching nodes means finding the
    // same GTID in another node's files. Else the lowest ordinal, so every cycle picks the same.
    for (const WriterProbe* candidate : candidates) {
      if (candidate->instance->name == preferred) {
        return ToWriter(*candidate, galera_);
      }
    }
    return ToWriter(*candidates.front(), galera_);
  }
  if (candidates.size() > 1) {
    // Two writable primaries have forked the data: archiving either would store one side of the
    // fork as the cluster's history.
    return core::Status(core::ErrorCode::kSplitBrain,
                        "more than one writable primary in '" + cluster.name + "' (" +
                            DescribeProbes(probes) + "); not archiving a forked cluster",
                        "run 'hasteward triage' and 'hasteward repair' first");
  }
  return ToWriter(*candidates.front(), galera_);
}

core::Result<std::vector<BinlogFileInfo>> MariadbBinlogSource::ListFiles(
    platform::Platform& platform, const platform::Cluster& cluster, const BinlogWriter& writer) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, writer.instance));
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(*handle));
  HS_ASSIGN_OR_RETURN(SqlRows rows, conn->Query("SHOW BINARY LOGS"));
  std::vector<BinlogFileInfo> files;
  for (size_t row = 0; row < rows.size(); ++row) {
    BinlogFileInfo file;
    file.name = rows.GetOr(row, "Log_name");
    std::string size = rows.GetOr(row, "File_size", "0");
    if (!IsPlainBinlogFileName(file.name) || size.empty() ||
        !std::all_of(size.begin(), size.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; })) {
      return core::Status(core::ErrorCode::kInternal,
                          "'" + writer.instance.name + "' lists a binlog file '" + file.name +
                              "' of size '" + size + "' that HASteward cannot read safely");
    }
    file.size = std::stoull(size);
    files.push_back(std::move(file));
  }
  return files;
}

core::Result<std::string> MariadbBinlogSource::ReadFile(platform::Platform& platform,
                                                        const platform::Cluster& cluster,
                                                        const BinlogWriter& writer,
                                                        const std::string& name, uint64_t offset,
                                                        uint64_t max_bytes) {
  if (!IsPlainBinlogFileName(name)) {
    return core::Usage("'" + name + "' is not a binlog file name");
  }
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, writer.instance));
  // dd where the server lives (a pod on Kubernetes), as its OS user: only the requested range
  // crosses, never the whole file.
  HS_ASSIGN_OR_RETURN(core::RunOutput output,
                      handle->Run({"dd", "if=" + writer.binlog_dir + "/" + name,
                                   "iflag=skip_bytes,count_bytes", "skip=" + std::to_string(offset),
                                   "count=" + std::to_string(max_bytes), "bs=1M", "status=none"}));
  if (!output.status.ok()) {
    return core::Status(
        core::ErrorCode::kUnreachable,
        "read binlog '" + name + "' on '" + writer.instance.name + "': dd " +
            output.status.Describe() + ": " + output.err,
        "the server may have purged the file; the next cycle lists the files again");
  }
  return std::move(output.out);
}

core::Result<std::optional<BinlogFileHeader>> MariadbBinlogSource::ReadHeader(
    std::string_view head) const {
  auto parsed = ReadBinlogHeader(head);
  if (!parsed.ok() && parsed.status().code() == kBinlogHeadTooShort) {
    return std::optional<BinlogFileHeader>();
  }
  HS_ASSIGN_OR_RETURN(BinlogHeader header, std::move(parsed));
  BinlogFileHeader out;
  out.server_id = header.server_id;
  out.created = header.created;
  out.gtid_list = header.gtid_list;
  out.header_end = header.header_end;
  out.checksums = header.checksums;
  return std::optional<BinlogFileHeader>(out);
}

core::Result<BinlogRun> MariadbBinlogSource::ScanRun(std::string_view bytes, uint64_t offset,
                                                     const BinlogFileHeader& header) const {
  BinlogHeader format;
  format.server_id = header.server_id;
  format.created = header.created;
  format.gtid_list = header.gtid_list;
  format.header_end = header.header_end;
  format.checksums = header.checksums;
  HS_ASSIGN_OR_RETURN(BinlogScan scan, ScanBinlog(bytes, offset, format));
  BinlogRun run;
  run.start_offset = offset;
  run.complete_end = scan.sealed ? scan.sealed_end : scan.complete_end;
  run.transactions = scan.transactions.size();
  run.sealed = scan.sealed;
  for (const auto& transaction : scan.transactions) {
    run.gtids.push_back(transaction.gtid.ToString());
    run.spans.push_back({run.gtids.back(), transaction.start_offset, transaction.end_offset,
                         transaction.timestamp});
  }
  if (!scan.transactions.empty()) {
    run.first_gtid = run.gtids.front();
    run.last_gtid = run.gtids.back();
    run.first_time = scan.transactions.front().timestamp;
    run.last_time = scan.transactions.back().timestamp;
  }
  return run;
}

core::Result<std::unique_ptr<BinlogStream>> MariadbBinlogSource::OpenBinlogStream(
    platform::Platform& platform, const platform::Cluster& cluster, const BinlogWriter& writer,
    const std::string& file, uint64_t offset) {
  if (!IsPlainBinlogFileName(file)) {
    return core::Usage("'" + file + "' is not a binlog file name");
  }
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, writer.instance));
  return OpenMariadbBinlogStream(std::move(handle), file, offset);
}

core::Status MariadbBinlogSource::RequireAcknowledgement(platform::Platform& platform,
                                                         const platform::Cluster& cluster,
                                                         const BinlogWriter& writer,
                                                         std::chrono::milliseconds timeout) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, writer.instance));
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(*handle));
  // AFTER_SYNC: a commit waits before the engine commits it, so no other session can read a
  // transaction the repository may not hold (AFTER_COMMIT would show it, then lose it with the
  // site).
  HS_TRY(conn->Execute("SET GLOBAL rpl_semi_sync_master_wait_point = 'AFTER_SYNC'"));
  HS_TRY(conn->Execute("SET GLOBAL rpl_semi_sync_master_timeout = " +
                       std::to_string(std::max<int64_t>(timeout.count(), 1))));
  return conn->Execute("SET GLOBAL rpl_semi_sync_master_enabled = ON");
}

core::Result<SemiSyncState> MariadbBinlogSource::AcknowledgementState(
    platform::Platform& platform, const platform::Cluster& cluster, const BinlogWriter& writer) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, writer.instance));
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(*handle));
  HS_ASSIGN_OR_RETURN(
      SqlRows vars,
      conn->Query("SELECT @@rpl_semi_sync_master_enabled AS enabled, "
                  "@@rpl_semi_sync_master_wait_point AS wait_point, "
                  "@@rpl_semi_sync_master_timeout AS timeout, @@read_only AS read_only"));
  SemiSyncState state;
  state.enabled = vars.GetOr(0, "enabled") == "1";
  state.after_sync = vars.GetOr(0, "wait_point") == "AFTER_SYNC";
  state.timeout_ms = std::strtoull(vars.GetOr(0, "timeout", "0").c_str(), nullptr, 10);
  HS_ASSIGN_OR_RETURN(auto status, conn->GlobalStatus("Rpl_semi_sync_master_status"));
  state.active = status.value_or("OFF") == "ON";
  HS_ASSIGN_OR_RETURN(auto clients, conn->GlobalStatus("Rpl_semi_sync_master_clients"));
  state.clients = std::strtoull(clients.value_or("0").c_str(), nullptr, 10);
  HS_ASSIGN_OR_RETURN(auto no_times, conn->GlobalStatus("Rpl_semi_sync_master_no_times"));
  state.fallbacks = std::strtoull(no_times.value_or("0").c_str(), nullptr, 10);
  state.takes_writes = vars.GetOr(0, "read_only") == "0";
  if (galera_) {
    HS_ASSIGN_OR_RETURN(auto local_state, conn->GlobalStatus("wsrep_local_state"));
    state.takes_writes = state.takes_writes && local_state.value_or("") == kGaleraSynced;
  }
  return state;
}

}  // namespace hasteward::engine::mariadb
