#include "engine/mariadb/repair.h"

#include "core/log.h"
#include "core/wait_for.h"
#include "engine/client_tools.h"
#include "engine/dump_spool.h"
#include "engine/mariadb/account_filter.h"
#include "engine/mariadb/history_domain.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/mariadb_engine.h"
#include "engine/mariadb/semisync_role.h"
#include "engine/repair_exec.h"
#include "platform/peer_address.h"

namespace hasteward::engine::mariadb {

namespace {

void Log(const HealOptions& o, const std::string& line) {
  core::LogInfo(line);
  if (o.log)
    o.log(line);
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "'";
}

std::string Ident(const std::string& s) {
  std::string out = "`";
  for (char c : s) {
    if (c == '`')
      out += '`';
    out += c;
  }
  return out + "`";
}

core::Result<std::vector<std::string>> UserDatabasesOf(MariadbConnection& conn) {
  HS_ASSIGN_OR_RETURN(SqlRows rows,
                      conn.Query("SELECT schema_name FROM information_schema.schemata WHERE "
                                 "schema_name NOT IN ('mysql', 'information_schema', "
                                 "'performance_schema', 'sys') ORDER BY schema_name"));
  std::vector<std::string> out;
  for (const auto& r : rows.rows)
    out.push_back(r[0].value_or(""));
  return out;
}

// Reads a complete, consistent dump of the primary into a local spool. Touches nothing on the
// target; fails with the dump tool's exit status when the donor or its dump fails.
core::Result<DumpSpool> SpoolDump(platform::Platform& platform, const platform::Cluster& cluster,
                                  const platform::Instance& target,
                                  const platform::Instance& primary, const HealOptions& o) {
  MariadbEngine engine;
  BackupPlan plan;
  plan.source = primary;
  plan.role = InstanceRole::kPrimary;
  plan.metadata["log_bin"] = "ON";
  std::string what = "dump of '" + primary.name + "' for healing '" + target.name + "'";
  auto dump = engine.OpenDump(platform, cluster, plan);
  if (!dump.ok())
    return dump.TakeStatus().Wrap(what + " (nothing on '" + target.name + "' was changed)");
  auto spool = DumpSpool::Fill(**dump);
  if (!spool.ok()) {
    return spool.TakeStatus()
        .Wrap(what + " (nothing on '" + target.name + "' was changed)")
        .WithHint("fix the donor (see the dump tool's error), then run the repair again");
  }
  auto it = spool->metadata().find("gtid_position");
  if (it == spool->metadata().end()) {
    return core::Status(core::ErrorCode::kDumpFailed,
                        "the dump of '" + primary.name +
                            "' carries no GTID position (nothing on '" + target.name +
                            "' was changed)",
                        "check that the primary writes a binary log (log_bin)");
  }
  Log(o, "dumped '" + primary.name + "' completely (" + std::to_string(spool->size()) +
             " bytes, GTID " + it->second + ") before changing '" + target.name + "'");
  return spool;
}

// Loads the spooled dump into the replica's mariadb client without binlogging it.
core::Status LoadDump(const platform::Cluster& cluster, const platform::Instance& target,
                      const DumpSpool& spool) {
  core::SubprocessOptions sp;
  sp.env_unset = {"MYSQL_PWD", "MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_UNIX_PORT"};
  ToolSecrets secrets;
  HS_ASSIGN_OR_RETURN(std::string password, cluster.credentials.password.Resolve());
  HS_ASSIGN_OR_RETURN(std::string cnf,
                      secrets.Add("client.cnf", MyCnfContent(MariadbUser(cluster), password)));
  sp.argv = {ToolPath(target, "mariadb"),
             "--defaults-file=" + cnf,
             "--host=" + (target.host.empty() ? std::string("127.0.0.1") : target.host),
             "--port=" + std::to_string(target.port),
             "--protocol=tcp",
             "--batch",
             "--binary-mode",
             "--max-allowed-packet=1G"};
  HS_ASSIGN_OR_RETURN(auto client, ToolRestoreSink::Start(std::move(sp), std::move(secrets),
                                                          DescribeInstance(target),
                                                          MariadbClientEnd(kMariadbDumpEndMarker)));
  // Why replace: the healed replica becomes a copy of the primary, accounts included (the dump
  // carries them); the admin, replication and server accounts are never touched.
  AccountRestoreFilter sink(std::move(client), AccountFilterFor(cluster, UsersMode::kReplace));
  HS_TRY(sink.Write(core::AsBytes(std::string("SET SESSION sql_log_bin=0;\n"))));
  HS_TRY(spool.CopyTo(sink));
  return sink.Close();
}

core::Result<bool> CaughtUp(const platform::InstanceHandle& target,
                            const platform::InstanceHandle& primary) {
  HS_ASSIGN_OR_RETURN(auto p, MariadbConnection::ConnectInstance(primary));
  HS_ASSIGN_OR_RETURN(auto pos, p->QueryValue("SELECT @@global.gtid_binlog_pos"));
  HS_ASSIGN_OR_RETURN(auto r, MariadbConnection::ConnectInstance(target));
  HS_ASSIGN_OR_RETURN(SqlRows st, r->Query("SHOW ALL SLAVES STATUS"));
  if (st.size() != 1 || st.GetOr(0, "Slave_IO_Running") != "Yes" ||
      st.GetOr(0, "Slave_SQL_Running") != "Yes") {
    return false;
  }
  HS_ASSIGN_OR_RETURN(auto w,
                      r->QueryValue("SELECT MASTER_GTID_WAIT(" + Quote(pos.value_or("")) + ", 1)"));
  return w.value_or("") == "0";
}

// A primary in semi-sync waits for its replicas' acknowledgements: the healed replica (often a
// failed-over old primary, whose config still has the master side on) takes the replica side, now
// (before its IO thread starts: the setting is read then) and after a restart.
core::Status TakeSemisyncReplicaSide(const platform::InstanceHandle& target,
                                     MariadbConnection& conn,
                                     const platform::InstanceHandle& primary,
                                     const HealOptions& o) {
  HS_ASSIGN_OR_RETURN(auto source, MariadbConnection::ConnectInstance(primary));
  if (!RunsSemisyncMaster(*source))
    return core::Status::Ok();
  HS_TRY(conn.Execute("SET GLOBAL rpl_semi_sync_master_enabled = OFF"));
  HS_TRY(conn.Execute("SET GLOBAL rpl_semi_sync_slave_enabled = ON"));
  Log(o, "'" + target.instance().name + "'" + SemisyncRoleDetail(target, conn, false));
  return core::Status::Ok();
}

// A diverged replica that no snapshot captured must keep what the heal replaces; this heal
// drops and reloads databases in place, so it has nothing to move aside: refuse instead.
core::Status RefuseToDropWhatMustBeKept(const platform::Instance& target, const HealOptions& o) {
  if (!o.only_copy_of_diverged_writes)
    return core::Status::Ok();
  return core::Status(core::ErrorCode::kSafetyStop,
                      "'" + target.name +
                          "' diverged and nothing captured it: a MariaDB heal reloads its "
                          "databases in place and cannot keep what it replaces",
                      "run the repair without --no-escrow: a type=diverged snapshot captures "
                      "it before anything is dropped");
}

// Stops and forgets the replica's replication, drops its user databases and resets its binary
// log and GTID state: what the load of the primary's dump starts from.
core::Status ClearReplica(MariadbConnection& conn, const platform::Instance& target,
                          const HealOptions& o) {
  HS_TRY(conn.Execute("STOP ALL SLAVES"));
  HS_TRY(conn.Execute("RESET SLAVE ALL"));
  Log(o, "stopped and reset the replication of '" + target.name + "'");
  HS_TRY(conn.Execute("SET SESSION sql_log_bin=0"));
  HS_ASSIGN_OR_RETURN(auto dbs, UserDatabasesOf(conn));
  std::string names;
  for (const auto& d : dbs) {
    HS_TRY(conn.Execute("DROP DATABASE " + Ident(d)));
    names += (names.empty() ? "'" : ", '") + d + "'";
  }
  Log(o, "dropped the user databases of '" + target.name +
             "': " + (names.empty() ? "(none)" : names) +
             " (the primary holds every transaction they had; the escrow snapshot keeps the "
             "primary's data)");
  HS_TRY(conn.Execute("RESET MASTER"));
  HS_TRY(conn.Execute("SET GLOBAL gtid_slave_pos=''"));
  Log(o, "reset the binary log and GTID state of '" + target.name + "'");
  return core::Status::Ok();
}

}  // namespace

std::string ChangeMasterSql(const platform::Instance& primary, const std::string& user,
                            const std::string& password) {
  // The replica dials the primary itself, for good: its stable name where the platform gives
  // one (a pod's IP changes when the pod is recreated), else its peer address.
  const std::string& host = platform::StableHost(primary);
  return "CHANGE MASTER TO MASTER_HOST=" + Quote(host.empty() ? "127.0.0.1" : host) +
         ", MASTER_PORT=" + std::to_string(platform::PeerPort(primary)) +
         ", MASTER_USER=" + Quote(user) + ", MASTER_PASSWORD=" + Quote(password) +
         ", MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1";
}

core::Status WaitAcceptsConnections(const platform::InstanceHandle& instance,
                                    std::chrono::seconds timeout) {
  return core::WaitFor("'" + instance.instance().name + "' to accept connections", timeout, [&] {
    auto probe = MariadbConnection::ConnectInstance(instance);
    return probe.ok() || probe.status().code() == core::ErrorCode::kAuthFailed;
  });
}

core::Status HealReplica(platform::Platform& platform, const platform::Cluster& cluster,
                         const platform::Instance& target, const platform::Instance& primary,
                         const HealOptions& o) {
  HS_TRY(RefuseToDropWhatMustBeKept(target, o));
  const platform::Credentials& repl =
      cluster.replication.user.empty() ? cluster.credentials : cluster.replication;
  HS_ASSIGN_OR_RETURN(std::string repl_password, repl.password.Resolve());
  // Why the whole dump is read before anything is dropped: the old data must stay until the new
  // copy is complete. Streaming the donor straight into the replica (as before) left it empty
  // when the donor or its dump failed mid-stream. Of the ways to keep it — a side instance or
  // side directory swapped in afterwards, or a complete local copy of the dump — the spool is
  // the simplest and nearly as fast: one extra sequential write and read of the dump on local
  // disk, no second server, no port, no datadir swap. What stays between DROP and the end of the
  // load is only the replica's own client; the donor is out of the picture by then, and the
  // escrow snapshot and the donor still hold every row.
  HS_ASSIGN_OR_RETURN(DumpSpool spool, SpoolDump(platform, cluster, target, primary, o));
  std::string gtid = spool.metadata().at("gtid_position");
  InstanceHandles handles(platform, cluster);
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * target_handle, handles.Open(target));
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * primary_handle, handles.Open(primary));
  if (o.target_starting) {
    HS_TRY(WaitAcceptsConnections(*target_handle, o.heal_timeout));
  }
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(*target_handle));
  HS_TRY(ClearReplica(*conn, target, o));
  HS_TRY(LoadDump(cluster, target, spool)
             .WithHint("'" + target.name +
                       "' may be partly loaded; run the repair again (it dumps '" + primary.name +
                       "' afresh)"));
  Log(o, "loaded the dump of '" + primary.name + "' into '" + target.name + "'");
  // Why the binlog state too: promoted later, a re-cloned replica whose binlog state stayed empty
  // reports as written (gtid_binlog_pos) only what it wrote since, and every check that reads a
  // primary's binlog position as what it holds (switchover, triage, repair, the discard gate)
  // took the older transactions as missing: a switchover back to the restored old primary was
  // refused, "holds transactions the primary lacks (0-1-12,2-2-5 vs 2-2-5)"
  // (mariadb_history_property_test, seed 3). The binlog is empty here (RESET MASTER, then the
  // load with sql_log_bin=0), as the server requires; a replica replicating with
  // log_slave_updates from the start would hold the same state.
  HS_TRY(conn->Execute("SET GLOBAL gtid_binlog_state=" + Quote(gtid)));
  HS_TRY(conn->Execute("SET GLOBAL gtid_slave_pos=" + Quote(gtid)));
  HS_ASSIGN_OR_RETURN(std::string not_persisted,
                      FollowHistoryDomain(*target_handle, *primary_handle));
  if (!not_persisted.empty()) {
    Log(o, "'" + target.name + "' writes in the GTID domain of '" + primary.name +
               "' only until its next restart (" + not_persisted +
               "): set it in its configuration");
  }
  HS_TRY(TakeSemisyncReplicaSide(*target_handle, *conn, *primary_handle, o));
  // A replica takes no writes of its own (its SQL thread writes through read_only). Not left to
  // its configuration or its operator: on the real node a replica recreated by a restore's scale
  // to zero and back started writable, and mariadb-operator set read_only again only some
  // seconds after it was handed back (two writable instances sampled meanwhile).
  HS_TRY(conn->Execute("SET GLOBAL read_only = ON"));
  HS_TRY(conn->Execute(ChangeMasterSql(primary, repl.user, repl_password)));
  HS_TRY(conn->Execute("START SLAVE"));
  Log(o, "'" + target.name + "' replicates from '" + primary.name +
             "' with MASTER_USE_GTID=slave_pos from " + gtid);
  HS_TRY(core::WaitFor("'" + target.name + "' IO and SQL threads to run and catch up",
                       o.heal_timeout, [&] { return CaughtUp(*target_handle, *primary_handle); }));
  Log(o, "'" + target.name + "' caught up with '" + primary.name + "'");
  return core::Status::Ok();
}

}  // namespace hasteward::engine::mariadb
