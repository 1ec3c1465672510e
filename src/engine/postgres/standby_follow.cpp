#include "engine/postgres/standby_follow.h"

#include "core/wait_for.h"
#include "engine/client_tools.h"
#include "engine/postgres/pg_archiving.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/server_state.h"
#include "engine/repair_exec.h"
#include "platform/peer_address.h"

namespace hasteward::engine::postgres {

namespace {

// The password arrives on stdin and is renamed into place, so a reader never sees half a file.
constexpr char kWritePassFile[] = "umask 077; cat > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"";

// A libpq connection-string value: single-quoted, with ' and \ escaped.
std::string ConninfoValue(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "'";
}

const platform::Credentials& ReplicationCredentials(const platform::Cluster& cluster) {
  return cluster.replication.user.empty() ? cluster.credentials : cluster.replication;
}

}  // namespace

std::string ReplicationPassFile(const platform::Instance& standby) {
  return standby.data_dir + ".pgpass";
}

std::string PrimaryConninfo(const platform::Cluster& cluster, const platform::Instance& primary,
                            const platform::Instance& standby) {
  // application_name = the standby's name, so the primary's pg_stat_replication names it. The
  // standby dials the primary itself: its peer address, not where this process connects.
  return "host=" + ConninfoValue(platform::PeerHost(primary)) +
         " port=" + std::to_string(platform::PeerPort(primary)) +
         " user=" + ConninfoValue(ReplicationCredentials(cluster).user) +
         " passfile=" + ConninfoValue(ReplicationPassFile(standby)) +
         " application_name=" + ConninfoValue(standby.name);
}

core::Status FollowPrimary(platform::InstanceHandle& standby_handle,
                           const platform::Instance& primary) {
  const platform::Cluster& cluster = standby_handle.cluster();
  const platform::Instance& standby = standby_handle.instance();
  const platform::Credentials& creds = ReplicationCredentials(cluster);
  HS_ASSIGN_OR_RETURN(std::string password, creds.password.Resolve());
  HS_TRY(RunScript(standby_handle, {.what = "write the replication password file",
                                    .text = kWritePassFile,
                                    .args = {ReplicationPassFile(standby)},
                                    .input = PgPassLine(creds.user, password)})
             .status());
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(standby_handle));
  HS_TRY(conn->Execute("ALTER SYSTEM SET primary_conninfo = " +
                       SqlLiteral(PrimaryConninfo(cluster, primary, standby)))
             .Wrap("point '" + standby.name + "' at '" + primary.name + "'"));
  // Since PostgreSQL 13 a reload restarts the WAL receiver with the new primary_conninfo.
  return conn->Execute("SELECT pg_reload_conf()");
}

core::Status WaitStreaming(const platform::InstanceHandle& standby,
                           const platform::InstanceHandle& primary,
                           std::chrono::milliseconds timeout) {
  return core::WaitFor(
      "'" + standby.instance().name + "' to stream from '" + primary.instance().name + "'", timeout,
      [&]() -> core::Result<bool> {
        HS_ASSIGN_OR_RETURN(ServerState from, ReadServerState(primary));
        HS_ASSIGN_OR_RETURN(ServerState to, ReadServerState(standby));
        return StreamsFrom(to, standby.instance(), from, primary.instance()) &&
               to.timeline == from.timeline;
      },
      core::SwitchoverWait());
}

}  // namespace hasteward::engine::postgres
