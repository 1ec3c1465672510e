#include "support/fake_operator_switchover.h"

#include <regex>

#include "support/sandbox_cluster.h"

namespace hasteward::testing {
namespace {

std::string TrimmedOutput(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

std::string SwitchSqlLiteral(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c == '\'' ? std::string("''") : std::string(1, c);
  }
  return out + "'";
}

}  // namespace

core::Status SwitchPostgresPrimary(platform::Platform& local, const platform::Cluster& cluster,
                                   int from, int to, FakeSwitchoverMode mode) {
  if (mode == FakeSwitchoverMode::kPromoteWithoutDemoting) {
    return RunClusterSql(cluster, to, "SELECT pg_promote(true, 60);").status();
  }
  const platform::Instance& old_primary = cluster.instances.at(from);
  const platform::Instance& target = cluster.instances.at(to);
  // The target's own connection string, re-aimed at the target: what the old primary will use.
  HS_ASSIGN_OR_RETURN(std::string conninfo, RunClusterSql(cluster, to, "SHOW primary_conninfo;"));
  conninfo = std::regex_replace(TrimmedOutput(conninfo), std::regex(R"(\bport=\d+)"),
                                "port=" + std::to_string(target.port));
  // The standbys got their password from a password file in the environment of pg_basebackup,
  // which the server does not have: the replication password goes into the string itself.
  HS_ASSIGN_OR_RETURN(std::string password, cluster.replication.password.Resolve());
  conninfo += " password=" + password;
  HS_TRY(RunClusterSql(cluster, from,
                       "ALTER SYSTEM SET primary_conninfo = " + SwitchSqlLiteral(conninfo) + ";")
             .status());
  HS_TRY(local.StopInstance(cluster, old_primary));
  HS_TRY(RunClusterSql(cluster, to, "SELECT pg_promote(true, 60);").status());
  HS_ASSIGN_OR_RETURN(auto handle, local.OpenInstance(cluster, old_primary));
  HS_TRY(handle->WriteDataFile("standby.signal", "", 0600));
  return local.StartInstance(cluster, old_primary);
}

core::Status SwitchMariaDbPrimary(const platform::Cluster& cluster, int from, int to,
                                  FakeSwitchoverMode mode) {
  if (mode == FakeSwitchoverMode::kPromoteWithoutDemoting) {
    // The old primary is made writable too (HASteward's handover set it read-only before asking):
    // an operator that leaves two writable instances, whatever was done before it acted.
    HS_TRY(RunClusterSql(cluster, from, "SET GLOBAL read_only = OFF;").status());
    return RunClusterSql(cluster, to, "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = OFF;")
        .status();
  }
  const platform::Instance& target = cluster.instances.at(to);
  HS_TRY(RunClusterSql(cluster, from, "SET GLOBAL read_only = ON;").status());
  HS_ASSIGN_OR_RETURN(std::string position,
                      RunClusterSql(cluster, from, "SELECT @@GLOBAL.gtid_binlog_pos;"));
  HS_ASSIGN_OR_RETURN(std::string waited,
                      RunClusterSql(cluster, to,
                                    "SELECT MASTER_GTID_WAIT(" +
                                        SwitchSqlLiteral(TrimmedOutput(position)) + ", 30);"));
  if (TrimmedOutput(waited) != "0") {
    return core::Internal("'" + target.name + "' did not reach " + TrimmedOutput(position));
  }
  HS_TRY(RunClusterSql(cluster, to, "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = OFF;")
             .status());
  HS_ASSIGN_OR_RETURN(std::string password, cluster.replication.password.Resolve());
  // The old primary never replicated: its replica position starts where its own binlog ends.
  return RunClusterSql(cluster, from,
                       "SET GLOBAL gtid_slave_pos = @@GLOBAL.gtid_binlog_pos; "
                       "CHANGE MASTER TO MASTER_HOST=" +
                           SwitchSqlLiteral(target.host) +
                           ", MASTER_PORT=" + std::to_string(target.port) +
                           ", MASTER_USER=" + SwitchSqlLiteral(cluster.replication.user) +
                           ", MASTER_PASSWORD=" + SwitchSqlLiteral(password) +
                           ", MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;")
      .status();
}

}  // namespace hasteward::testing
