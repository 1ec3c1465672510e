// MariaDB's write probe (Engine::ProbeWritable), for replication and Galera alike: START
// TRANSACTION READ WRITE, then ROLLBACK. While read_only is ON the server refuses a read-write
// transaction to every account without READ ONLY ADMIN (error 1290), and a Galera node outside
// the primary component refuses it as every other statement (1047); a writable server grants it.
// No table and no privilege is needed, and an empty transaction rolled back writes nothing: no
// row, no binlog event, no GTID, so the probe never moves a position that a standby or a restore
// compares. A temporary table would prove nothing here: read_only exempts temporary tables.
#include <cstdlib>

#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/mariadb_engine.h"

namespace hasteward::engine::mariadb {

namespace {

constexpr unsigned kReadOnly = 1290;        // ER_OPTION_PREVENTS_STATEMENT (--read-only)
constexpr unsigned kWsrepNotReady = 1047;   // "WSREP has not yet prepared node for application use"
constexpr unsigned kHostNotAllowed = 1130;  // the account does not exist for this client host

// The error number a connect failure names ("... (error 2003)"); 0 when it names none.
unsigned ConnectErrno(const std::string& message) {
  auto at = message.rfind("(error ");
  return at == std::string::npos
             ? 0
             : static_cast<unsigned>(std::strtoul(message.c_str() + at + 7, nullptr, 10));
}

WriteProbeVerdict ConnectVerdict(const core::Status& failed) {
  unsigned errnum = ConnectErrno(failed.message());
  if (failed.code() == core::ErrorCode::kAuthFailed || errnum == kHostNotAllowed) {
    return WriteProbeVerdict::kRefused;
  }
  // Only the client's errors for "nothing answered" (no socket 2002, no TCP connection 2003,
  // unknown host 2005, gone 2006, lost 2013) mean that; a server error (too many connections, a
  // blocked host) or another client error (TLS, an auth plugin) comes from a server that is there
  // and may be writable.
  switch (errnum) {
    case 2002:
    case 2003:
    case 2005:
    case 2006:
    case 2013: return WriteProbeVerdict::kUnreachable;
    default: return WriteProbeVerdict::kUndetermined;
  }
}

}  // namespace

WriteProbeResult MariadbFamilyEngine::ProbeWritable(const WriteProbeTarget& target) const {
  WriteProbeResult result;
  std::string where = "mariadb at " + target.host + ":" + std::to_string(target.port);
  auto password = target.credentials.password.Resolve();
  if (!password.ok()) {
    result.detail = "the probe's password: " + password.status().message();
    return result;  // kUndetermined
  }
  MariadbConnectParams params;
  params.host = target.host;
  params.port = target.port;
  params.user = target.credentials.user;
  params.password = *password;
  params.read_timeout_seconds = 10;
  params.display_name = where;
  auto conn = MariadbConnection::Connect(params);
  if (!conn.ok()) {
    result.verdict = ConnectVerdict(conn.status());
    result.detail = conn.status().message();
    return result;
  }
  core::Status began = (*conn)->Execute("START TRANSACTION READ WRITE");
  if (!began.ok()) {
    unsigned errnum = (*conn)->last_errno();
    result.detail = began.message();
    if (began.code() == core::ErrorCode::kUnreachable) {
      result.verdict = WriteProbeVerdict::kUnreachable;  // the server went away mid-probe
    } else if (errnum == kReadOnly || errnum == kWsrepNotReady) {
      result.verdict = WriteProbeVerdict::kNotWritable;
    }
    return result;  // otherwise kUndetermined: an error that proves neither
  }
  core::Status rolled_back = (*conn)->Execute("ROLLBACK");
  if (!rolled_back.ok()) {
    // Closing the connection rolls the empty transaction back anyway; the grant already proved it.
    result.detail =
        where + " granted a read-write transaction; its rollback: " + rolled_back.message();
  } else {
    result.detail = where + " granted a read-write transaction to '" + target.credentials.user +
                    "' (rolled back)";
  }
  result.verdict = WriteProbeVerdict::kWritable;
  return result;
}

}  // namespace hasteward::engine::mariadb
