#include "engine/mariadb/promotion.h"

#include <cstdio>

#include "engine/client_tools.h"
#include "engine/mariadb/gtid_compare.h"
#include "engine/mariadb/probe_account.h"
#include "engine/mariadb/repair.h"

namespace hasteward::engine::mariadb {

namespace {

std::string SecondsText(std::chrono::milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", static_cast<double>(duration.count()) / 1000.0);
  return text;
}

}  // namespace

core::Result<std::unique_ptr<MariadbConnection>> ConnectForWait(
    const platform::InstanceHandle& instance, std::chrono::milliseconds wait) {
  HS_ASSIGN_OR_RETURN(MariadbConnectParams params, InstanceConnectParams(instance));
  params.read_timeout_seconds = MariadbStatementTimeout(wait, std::chrono::seconds(15));
  return MariadbConnection::Connect(params);
}

core::Result<std::string> WaitAppliedExactly(MariadbConnection& replica, const std::string& name,
                                             const std::string& final_position,
                                             std::chrono::milliseconds timeout) {
  HS_ASSIGN_OR_RETURN(
      auto waited, replica.QueryValue("SELECT MASTER_GTID_WAIT(" + SqlQuote(final_position) + ", " +
                                      SecondsText(timeout) + ")"));
  if (waited.value_or("-1") != "0") {
    HS_ASSIGN_OR_RETURN(auto reached, replica.QueryValue("SELECT @@global.gtid_current_pos"));
    return core::Status(core::ErrorCode::kTimeout,
                        "'" + name + "' did not apply the final position " + final_position +
                            " within " + SecondsText(timeout) + " s (it is at " +
                            reached.value_or("?") + ")",
                        "check its applier (SHOW SLAVE STATUS: SQL thread, lag) and run the "
                        "switchover again, or raise --timeout");
  }
  HS_ASSIGN_OR_RETURN(auto current, replica.QueryValue("SELECT @@global.gtid_current_pos"));
  GtidOrder order = CompareGtidPositions(current.value_or(""), final_position);
  // Why exactly: MASTER_GTID_WAIT only says "at least". A candidate with transactions of its own
  // would bring them into the new primary's history, forking it from the old primary's.
  if (order != GtidOrder::kEqual) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "'" + name + "' is " + GtidOrderName(order) +
                            " the old primary's final position (" + current.value_or("") + " vs " +
                            final_position + ")",
                        "run 'hasteward triage': it holds transactions the old primary lacks");
  }
  return "'" + name + "' applied exactly " + final_position;
}

core::Status Promote(MariadbConnection& candidate, bool semisync) {
  HS_TRY(candidate.Execute("STOP ALL SLAVES"));
  HS_TRY(candidate.Execute("RESET SLAVE ALL"));
  if (semisync) {
    HS_TRY(candidate.Execute("SET GLOBAL rpl_semi_sync_slave_enabled = OFF"));
    HS_TRY(candidate.Execute("SET GLOBAL rpl_semi_sync_master_enabled = ON"));
  }
  return candidate.Execute("SET GLOBAL read_only = OFF");
}

core::Status Repoint(MariadbConnection& replica, const platform::Cluster& cluster,
                     const platform::Instance& primary, const RepointOptions& options) {
  const platform::Credentials& repl =
      cluster.replication.user.empty() ? cluster.credentials : cluster.replication;
  HS_ASSIGN_OR_RETURN(std::string password, repl.password.Resolve());
  HS_TRY(replica.Execute("STOP ALL SLAVES"));
  if (options.semisync) {
    HS_TRY(replica.Execute("SET GLOBAL rpl_semi_sync_master_enabled = OFF"));
    HS_TRY(replica.Execute("SET GLOBAL rpl_semi_sync_slave_enabled = ON"));
  }
  if (!options.slave_pos.empty())
    HS_TRY(replica.Execute("SET GLOBAL gtid_slave_pos = " + SqlQuote(options.slave_pos)));
  HS_TRY(replica.Execute(ChangeMasterSql(primary, repl.user, password)));
  return replica.Execute("START SLAVE");
}

core::Result<std::string> ProveWritable(const platform::InstanceHandle& primary_handle,
                                        const platform::InstanceHandle* follower_handle,
                                        std::chrono::milliseconds timeout) {
  const platform::Instance& primary = primary_handle.instance();
  HS_ASSIGN_OR_RETURN(auto admin, MariadbConnection::ConnectInstance(primary_handle, timeout));
  // A failover never fenced through the probe table, so the new primary may not have it yet.
  HS_TRY(EnsureProbeTable(*admin));
  HS_ASSIGN_OR_RETURN(auto probe, ProbeAccount::Create(primary_handle, std::move(admin)));
  HS_ASSIGN_OR_RETURN(ProbeWrite write, probe->TryWrite("written after the promotion"));
  if (!write.accepted) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "the new primary '" + primary.name + "' refused a write: " + write.error,
                        "run 'hasteward triage'; check read_only on '" + primary.name + "'");
  }
  std::string detail = "a probe write was accepted on '" + primary.name + "'";
  if (follower_handle == nullptr)
    return detail;
  const platform::Instance* follower = &follower_handle->instance();
  HS_ASSIGN_OR_RETURN(auto primary_conn,
                      MariadbConnection::ConnectInstance(primary_handle, timeout));
  HS_ASSIGN_OR_RETURN(auto position, primary_conn->QueryValue("SELECT @@global.gtid_binlog_pos"));
  HS_ASSIGN_OR_RETURN(auto follower_conn, ConnectForWait(*follower_handle, timeout));
  HS_ASSIGN_OR_RETURN(auto waited, follower_conn->QueryValue("SELECT MASTER_GTID_WAIT(" +
                                                             SqlQuote(position.value_or("")) +
                                                             ", " + SecondsText(timeout) + ")"));
  if (waited.value_or("-1") != "0") {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "'" + follower->name + "' did not apply the new primary's write within " +
                            SecondsText(timeout) + " s",
                        "check its replication (SHOW SLAVE STATUS) and run 'hasteward repair'");
  }
  return detail + " and applied by '" + follower->name + "'";
}

}  // namespace hasteward::engine::mariadb
