#include "engine/mariadb/mariadb_engine.h"

#include <algorithm>
#include <regex>
#include <utility>

#include "core/log.h"
#include "engine/client_tools.h"
#include "engine/mariadb/account_filter.h"
#include "engine/mariadb/backup_catch_up.h"
#include "engine/mariadb/client_args.h"
#include "engine/mariadb/mariadb_connection.h"

namespace hasteward::engine::mariadb {

namespace {

const char* const kGaleraStatus[] = {"wsrep_local_state_comment", "wsrep_ready",
                                     "wsrep_cluster_status",      "wsrep_last_committed",
                                     "wsrep_cluster_state_uuid",  "wsrep_cluster_size",
                                     "wsrep_connected",           "wsrep_cluster_conf_id",
                                     "wsrep_local_state_uuid"};

core::Status ProbeOne(MariadbConnection& conn, bool galera, InstanceProbe* p) {
  HS_ASSIGN_OR_RETURN(SqlRows vars,
                      conn.Query("SELECT @@global.read_only, @@global.log_bin, "
                                 "@@global.gtid_current_pos, @@global.gtid_binlog_pos, "
                                 "@@global.gtid_slave_pos, @@global.server_id"));
  p->read_only = vars.GetOr(0, "@@global.read_only") == "1";
  p->log_bin = vars.GetOr(0, "@@global.log_bin") == "1";
  p->vars["gtid_current_pos"] = vars.GetOr(0, "@@global.gtid_current_pos");
  p->vars["gtid_binlog_pos"] = vars.GetOr(0, "@@global.gtid_binlog_pos");
  p->vars["gtid_slave_pos"] = vars.GetOr(0, "@@global.gtid_slave_pos");
  p->vars["server_id"] = vars.GetOr(0, "@@global.server_id");
  HS_ASSIGN_OR_RETURN(p->replication, conn.Query("SHOW ALL SLAVES STATUS"));
  if (!galera) {
    HS_ASSIGN_OR_RETURN(SqlRows semi, conn.Query("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync%'"));
    for (const auto& row : semi.rows) {
      if (row.size() > 1)
        p->vars[row[0].value_or("")] = row[1].value_or("");
    }
    HS_ASSIGN_OR_RETURN(SqlRows semi_vars,
                        conn.Query("SHOW GLOBAL VARIABLES WHERE Variable_name IN "
                                   "('rpl_semi_sync_master_enabled', "
                                   "'rpl_semi_sync_slave_enabled', "
                                   "'rpl_semi_sync_master_wait_point')"));
    for (const auto& row : semi_vars.rows) {
      if (row.size() > 1)
        p->vars[row[0].value_or("")] = row[1].value_or("");
    }
  }
  if (galera) {
    HS_ASSIGN_OR_RETURN(SqlRows st, conn.Query("SHOW GLOBAL STATUS LIKE 'wsrep%'"));
    for (const auto& row : st.rows) {
      std::string name = row.size() > 1 ? row[0].value_or("") : "";
      for (const char* wanted : kGaleraStatus) {
        if (name == wanted) {
          p->vars[name] = row[1].value_or("");
        }
      }
    }
  }
  return core::Status::Ok();
}

std::string Quote(const std::vector<const InstanceProbe*>& probes) {
  std::string s;
  for (const auto* p : probes) {
    s += (s.empty() ? "'" : ", '") + p->instance->name + "'";
  }
  return s;
}

core::Result<std::vector<std::string>> UserDatabases(MariadbConnection& conn) {
  HS_ASSIGN_OR_RETURN(
      SqlRows rows,
      conn.Query("SELECT s.schema_name FROM information_schema.schemata s WHERE s.schema_name NOT "
                 "IN ('mysql', 'information_schema', 'performance_schema', 'sys') AND "
                 "(s.schema_name <> 'test' OR EXISTS (SELECT 1 FROM information_schema.tables t "
                 "WHERE t.table_schema = 'test')) ORDER BY s.schema_name"));
  std::vector<std::string> names;
  for (const auto& r : rows.rows) {
    names.push_back(r[0].value_or(""));
  }
  return names;
}

// Instances that are no one's replica.
std::vector<const InstanceProbe*> Primaries(const std::vector<InstanceProbe>& probes) {
  std::vector<const InstanceProbe*> out;
  for (const auto& p : probes) {
    if (p.status.ok() && p.replication.empty()) {
      out.push_back(&p);
    }
  }
  return out;
}

// The one writable primary, or kSplitBrain / kUnreachable.
core::Result<const InstanceProbe*> SinglePrimary(const platform::Cluster& cluster,
                                                 const std::vector<InstanceProbe>& probes) {
  std::vector<const InstanceProbe*> primaries = Primaries(probes);
  if (primaries.size() > 1) {
    std::vector<const InstanceProbe*> writable;
    for (const auto* p : primaries) {
      if (!p->read_only) {
        writable.push_back(p);
      }
    }
    if (writable.size() == 1) {
      return writable[0];
    }
    return core::Status(
        core::ErrorCode::kSplitBrain,
        "cluster '" + cluster.name +
            "' has more than one instance that replicates from no one: " + Quote(primaries),
        "run 'hasteward triage' and repair the cluster before backup or restore");
  }
  if (primaries.empty()) {
    return NoUsableInstance(cluster, probes, "primary");
  }
  return primaries[0];
}

// The replicas fit to serve a backup (threads running, lag within kMaxBackupLagSeconds), the
// least lagging first; the others are named in `skipped` with why.
std::vector<std::pair<int, const InstanceProbe*>> HealthyReplicasByLag(
    const std::vector<InstanceProbe>& probes, std::string* skipped) {
  std::vector<std::pair<int, const InstanceProbe*>> healthy;
  for (const auto& p : probes) {
    if (!p.status.ok() || p.replication.empty()) {
      continue;
    }
    std::string why;
    int lag = 0;
    if (!ReplicaHealthy(p.replication, MariadbEngine::kMaxBackupLagSeconds, &why, &lag)) {
      *skipped += (skipped->empty() ? "" : "; ") + p.instance->name + ": " + why;
      continue;
    }
    healthy.emplace_back(lag, &p);
  }
  std::stable_sort(healthy.begin(), healthy.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return healthy;
}

}  // namespace

std::vector<InstanceProbe> ProbeInstances(InstanceHandles& handles, bool galera) {
  std::vector<InstanceProbe> probes;
  for (const auto& inst : handles.cluster().instances) {
    InstanceProbe p;
    p.instance = &inst;
    auto handle = handles.Open(inst);
    if (!handle.ok()) {
      p.status = handle.TakeStatus();
      probes.push_back(std::move(p));
      continue;
    }
    auto conn = MariadbConnection::ConnectInstance(**handle);
    if (!conn.ok()) {
      p.status = conn.TakeStatus();
    } else {
      p.status = ProbeOne(**conn, galera, &p);
    }
    probes.push_back(std::move(p));
  }
  return probes;
}

bool ReplicaHealthy(const SqlRows& replication, int max_lag_seconds, std::string* why,
                    int* lag_seconds) {
  if (replication.empty()) {
    *why = "not a replica";
    return false;
  }
  int worst = 0;
  for (size_t r = 0; r < replication.size(); ++r) {
    std::string conn_name = replication.GetOr(r, "Connection_name");
    std::string label = conn_name.empty() ? "" : " (connection '" + conn_name + "')";
    if (replication.GetOr(r, "Slave_IO_Running") != "Yes") {
      *why = "IO thread not running" + label + ": " + replication.GetOr(r, "Last_IO_Error");
      return false;
    }
    if (replication.GetOr(r, "Slave_SQL_Running") != "Yes") {
      *why = "SQL thread not running" + label + ": " + replication.GetOr(r, "Last_SQL_Error");
      return false;
    }
    auto lag = replication.Get(r, "Seconds_Behind_Master");
    if (!lag) {
      *why = "lag unknown" + label;
      return false;
    }
    int l = std::atoi(lag->c_str());
    if (l > max_lag_seconds) {
      *why = "lag " + *lag + " s exceeds " + std::to_string(max_lag_seconds) + " s" + label;
      return false;
    }
    worst = std::max(worst, l);
  }
  *lag_seconds = worst;
  return true;
}

bool GaleraSynced(const InstanceProbe& probe, std::string* why) {
  auto get = [&](const char* k) {
    auto it = probe.vars.find(k);
    return it == probe.vars.end() ? std::string("(unset)") : it->second;
  };
  if (get("wsrep_cluster_status") != "Primary") {
    *why = "not in a Primary component (wsrep_cluster_status=" + get("wsrep_cluster_status") + ")";
    return false;
  }
  if (get("wsrep_local_state_comment") != "Synced") {
    *why = "not synced (wsrep_local_state_comment=" + get("wsrep_local_state_comment") + ")";
    return false;
  }
  if (get("wsrep_ready") != "ON") {
    *why = "not ready (wsrep_ready=" + get("wsrep_ready") + ")";
    return false;
  }
  return true;
}

std::string SkippedSummary(const std::vector<InstanceProbe>& probes) {
  std::string s;
  for (const auto& p : probes) {
    if (!p.status.ok()) {
      s += (s.empty() ? "" : "; ") + p.instance->name + ": " + p.status.message();
    }
  }
  return s;
}

core::Status NoUsableInstance(const platform::Cluster& cluster,
                              const std::vector<InstanceProbe>& probes, const std::string& wanted) {
  std::vector<const InstanceProbe*> failed;
  bool all_auth = true;
  for (const auto& p : probes) {
    if (!p.status.ok()) {
      failed.push_back(&p);
      all_auth = all_auth && p.status.code() == core::ErrorCode::kAuthFailed;
    }
  }
  if (probes.empty()) {
    return core::NotFound("cluster '" + cluster.ns + "/" + cluster.name + "' has no instances",
                          "add its instances to the inventory");
  }
  if (!failed.empty() && all_auth) {
    return failed[0]->status;
  }
  if (!failed.empty()) {
    core::Status s(core::ErrorCode::kUnreachable,
                   "no " + wanted + " of cluster '" + cluster.name +
                       "' is reachable: " + SkippedSummary(probes),
                   "start the instances (or run 'hasteward triage') and retry");
    s.SetRetryable();
    return s;
  }
  return core::NotFound("cluster '" + cluster.name + "' has no " + wanted,
                        "run 'hasteward triage' to see the state of every instance");
}

std::map<std::string, std::string> ParseMariadbDumpMetadata(const std::string& head,
                                                            const std::string& tail) {
  std::map<std::string, std::string> md;
  std::smatch m;
  static const std::regex kGtid("gtid_slave_pos='([^']*)'");
  if (std::regex_search(tail, m, kGtid) || std::regex_search(head, m, kGtid)) {
    md["gtid_position"] = m[1];
  }
  static const std::regex kBinlog("MASTER_LOG_FILE='([^']*)', MASTER_LOG_POS=([0-9]+)");
  if (std::regex_search(head, m, kBinlog)) {
    md["binlog_file"] = m[1];
    md["binlog_pos"] = m[2];
  }
  return md;
}

std::vector<std::string> MariadbDumpFlags(const BackupPlan& plan) {
  std::vector<std::string> flags = {"--all-databases", "--ignore-database=mysql",
                                    // Why: without its accounts a disaster restore into a new
                                    // cluster holds data no application can log in to.
                                    "--system=users", "--single-transaction", "--routines",
                                    "--events", "--triggers", "--hex-blob", "--add-drop-database",
                                    "--max-allowed-packet=1G"};
  auto log_bin = plan.metadata.find("log_bin");
  if (log_bin != plan.metadata.end() && log_bin->second == "ON") {
    flags.emplace_back("--master-data=2");
    flags.emplace_back("--gtid");
  } else if (plan.role == InstanceRole::kReplica) {
    flags.emplace_back("--dump-slave=2");
    flags.emplace_back("--gtid");
  }
  return flags;
}

namespace {

// What the restore may do with the dump's accounts on `target`: the accounts it already has, and
// the users never touched (the one we connect as, the replication user, the server's own).
core::Result<AccountFilterOptions> AccountOptions(const platform::InstanceHandle& target,
                                                  UsersMode users) {
  AccountFilterOptions out = AccountFilterFor(target.cluster(), users);
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(target));
  HS_ASSIGN_OR_RETURN(auto current, conn->QueryValue("SELECT CURRENT_USER()"));
  out.current_user = current.value_or("");
  HS_ASSIGN_OR_RETURN(SqlRows rows, conn->Query("SELECT user, host FROM mysql.user"));
  for (const auto& r : rows.rows)
    out.existing.insert(AccountKey(r[0].value_or(""), r.size() > 1 ? r[1].value_or("") : ""));
  return out;
}

}  // namespace

core::Result<std::unique_ptr<DumpStream>> MariadbFamilyEngine::OpenDump(
    platform::Platform& /*platform*/, const platform::Cluster& cluster, const BackupPlan& plan) {
  core::SubprocessOptions options;
  options.env_unset = {"MYSQL_PWD", "MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_UNIX_PORT"};
  HS_ASSIGN_OR_RETURN(ToolSecrets secrets,
                      MariadbClientArgs(cluster, plan.source, "mariadb-dump", &options.argv));
  for (auto& f : MariadbDumpFlags(plan)) {
    options.argv.push_back(std::move(f));
  }
  core::LogInfo("starting dump",
                {{"instance", plan.source.name}, {"command", core::JoinArgv(options.argv)}});
  HS_ASSIGN_OR_RETURN(auto stream,
                      ToolDumpStream::Start(std::move(options), std::move(secrets),
                                            kMariadbDumpEndMarker, ParseMariadbDumpMetadata));
  return std::unique_ptr<DumpStream>(std::move(stream));
}

core::Result<RestorePlan> MariadbFamilyEngine::PlanRestore(platform::Platform& platform,
                                                           const platform::Cluster& cluster,
                                                           const RestoreOptions& options) {
  InstanceHandles handles(platform, cluster);
  std::vector<InstanceProbe> probes = ProbeInstances(handles, IsGaleraCluster());
  auto chosen = ChooseRestoreTarget(cluster, probes);
  if (!chosen.ok()) {
    return chosen.TakeStatus().Wrap("restore into cluster '" + cluster.name + "'");
  }
  RestorePlan plan = std::move(chosen).value();
  plan.users = options.users;
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * target, handles.Open(plan.target));
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(*target));
  HS_ASSIGN_OR_RETURN(plan.user_databases, UserDatabases(*conn));
  if (!plan.user_databases.empty() && !options.confirm_overwrite) {
    std::string list;
    for (const auto& d : plan.user_databases) {
      list += (list.empty() ? "'" : ", '") + d + "'";
    }
    return core::Status(core::ErrorCode::kConfirmationRequired,
                        "restore into cluster '" + cluster.name +
                            "' would drop and recreate the databases in the dump; '" +
                            plan.target.name + "' holds user databases: " + list,
                        "check the target, then confirm the overwrite (--yes) to proceed");
  }
  return plan;
}

core::Result<std::unique_ptr<core::ByteSink>> MariadbFamilyEngine::OpenRestore(
    platform::Platform& platform, const platform::Cluster& cluster, const RestorePlan& plan) {
  core::SubprocessOptions sp;
  sp.env_unset = {"MYSQL_PWD", "MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_UNIX_PORT"};
  HS_ASSIGN_OR_RETURN(ToolSecrets secrets,
                      MariadbClientArgs(cluster, plan.target, "mariadb", &sp.argv));
  for (const char* a : {"--batch", "--binary-mode", "--max-allowed-packet=1G"}) {
    sp.argv.emplace_back(a);
  }
  HS_ASSIGN_OR_RETURN(auto target, platform.OpenInstance(cluster, plan.target));
  HS_ASSIGN_OR_RETURN(AccountFilterOptions accounts, AccountOptions(*target, plan.users));
  core::LogInfo("starting restore", {{"instance", plan.target.name},
                                     {"reason", plan.reason},
                                     {"users", UsersModeName(plan.users)}});
  HS_ASSIGN_OR_RETURN(auto sink, ToolRestoreSink::Start(std::move(sp), std::move(secrets),
                                                        DescribeInstance(plan.target),
                                                        MariadbClientEnd(kMariadbDumpEndMarker)));
  return std::unique_ptr<core::ByteSink>(
      std::make_unique<AccountRestoreFilter>(std::move(sink), std::move(accounts)));
}

core::Result<BackupPlan> MariadbEngine::PlanBackup(platform::Platform& platform,
                                                   const platform::Cluster& cluster) {
  InstanceHandles handles(platform, cluster);
  std::vector<InstanceProbe> probes = ProbeInstances(handles, false);
  std::string skipped = SkippedSummary(probes);
  // The primary's position now: what a replica must hold to serve the backup.
  auto primary = SinglePrimary(cluster, probes);
  std::string primary_position = primary.ok() ? (*primary)->vars.at("gtid_binlog_pos") : "";
  const InstanceProbe* best = nullptr;
  int best_lag = 0;
  for (const auto& [lag, p] : HealthyReplicasByLag(probes, &skipped)) {
    auto handle = handles.Open(*p->instance);
    core::Status held = handle.ok()
                            ? WaitReplicaHolds(**handle, primary_position, kBackupCatchUpBound)
                            : handle.TakeStatus();
    if (held.ok()) {
      best = p;
      best_lag = lag;
      break;
    }
    skipped += (skipped.empty() ? "" : "; ") + p->instance->name + ": " + held.message();
  }
  BackupPlan plan;
  plan.virtual_filename = DumpFileName();
  if (best != nullptr) {
    plan.role = InstanceRole::kReplica;
    plan.reason = "replica '" + best->instance->name +
                  "' is healthy (IO and SQL threads running, lag " + std::to_string(best_lag) +
                  " s) and holds the primary's position " +
                  (primary_position.empty() ? "(none)" : primary_position);
  } else {
    HS_ASSIGN_OR_RETURN(best, std::move(primary));
    plan.role = InstanceRole::kPrimary;
    plan.reason = "no healthy replica that holds the primary's position; primary '" +
                  best->instance->name + "'";
  }
  plan.source = *best->instance;
  plan.metadata = best->vars;
  plan.metadata["log_bin"] = best->log_bin ? "ON" : "OFF";
  if (!skipped.empty()) {
    plan.metadata["skipped"] = skipped;
  }
  return plan;
}

core::Result<RestorePlan> MariadbEngine::ChooseRestoreTarget(
    const platform::Cluster& cluster, const std::vector<InstanceProbe>& probes) {
  HS_ASSIGN_OR_RETURN(const InstanceProbe* primary, SinglePrimary(cluster, probes));
  RestorePlan plan;
  plan.target = *primary->instance;
  plan.reason = "primary '" + plan.target.name + "'; replicas follow by GTID replication";
  return plan;
}

}  // namespace hasteward::engine::mariadb
