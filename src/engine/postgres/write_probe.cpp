// PostgreSQL's write probe (Engine::ProbeWritable): BEGIN READ WRITE, a temporary table created
// and written, ROLLBACK. A server in recovery (a standby, a restore still replaying) refuses the
// read-write transaction itself ("cannot set transaction read-write mode during recovery", with
// the generic SQLSTATE 0A000, so a refusal is told apart by asking pg_is_in_recovery(); a
// read-only transaction's writes fail with 25006). The temporary table then proves the server
// assigns a transaction ID and writes its catalog, which nothing but a writable primary does. The
// rollback drops the table: the probe leaves no row, no table and no data in the database. Needs
// only LOGIN and the database's TEMP privilege (granted to PUBLIC by default) on the "postgres"
// database.
#include <optional>

#include <libpq-fe.h>

#include "engine/postgres/pg_connection.h"
#include "engine/postgres/postgres_engine.h"

namespace hasteward::engine::postgres {

namespace {

constexpr const char* kProbeStatements[] = {
    "BEGIN READ WRITE",
    "CREATE TEMPORARY TABLE hasteward_write_probe (id int)",
    "INSERT INTO hasteward_write_probe VALUES (1)",
    "ROLLBACK",
};

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// Whether the server says it is in recovery (a read a hot standby answers), after ending the
// probe's failed transaction; false when it cannot tell.
bool InRecovery(PGconn* conn) {
  PQclear(PQexec(conn, "ROLLBACK"));
  PGresult* res = PQexec(conn, "SELECT pg_is_in_recovery()");
  bool in_recovery = res != nullptr && PQresultStatus(res) == PGRES_TUPLES_OK &&
                     PQntuples(res) == 1 && std::string(PQgetvalue(res, 0, 0)) == "t";
  PQclear(res);
  return in_recovery;
}

// Runs one statement; nullopt when it succeeded, else the verdict its failure means.
std::optional<WriteProbeResult> RunProbeStatement(PGconn* conn, const std::string& where,
                                                  const char* sql) {
  PGresult* res = PQexec(conn, sql);
  ExecStatusType status = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    PQclear(res);
    return std::nullopt;
  }
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state != nullptr ? state : "";
  std::string message = Trimmed(res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  if (res != nullptr) {
    PQclear(res);
  }
  WriteProbeResult result;
  result.detail = where + " refused '" + sql + "': " + message;
  if (PQstatus(conn) != CONNECTION_OK) {
    result.verdict = WriteProbeVerdict::kUnreachable;  // the server went away mid-probe
  } else if (sqlstate.rfind("25", 0) == 0 || InRecovery(conn)) {
    // Class 25, invalid transaction state: 25006 read_only_sql_transaction. A server in recovery
    // refuses BEGIN READ WRITE with the generic 0A000, so it is asked whether it is in recovery.
    result.verdict = WriteProbeVerdict::kNotWritable;
  } else {
    // Anything else (no TEMP privilege, a full disk) proves neither: never guessed as "fenced".
    result.verdict = WriteProbeVerdict::kUndetermined;
  }
  return result;
}

}  // namespace

WriteProbeResult PostgresEngine::ProbeWritable(const WriteProbeTarget& target) const {
  WriteProbeResult result;
  std::string where = "postgresql at " + target.host + ":" + std::to_string(target.port);
  auto password = target.credentials.password.Resolve();
  if (!password.ok()) {
    result.verdict = WriteProbeVerdict::kUndetermined;
    result.detail = "the probe's password: " + password.status().message();
    return result;
  }
  PgConnectParams params;
  params.host = target.host;
  params.port = target.port;
  params.user = target.credentials.user;
  params.password = *password;
  params.display_name = where;
  auto conn = PgConnection::Connect(params);
  if (!conn.ok()) {
    result.detail = conn.status().message();
    if (conn.status().code() == core::ErrorCode::kAuthFailed) {
      result.verdict = WriteProbeVerdict::kRefused;
    } else if (result.detail.find("FATAL:") != std::string::npos) {
      // The server answered with an error (starting up, too many connections): it is there and
      // may take writes a moment later, so it is neither fenced nor gone.
      result.verdict = WriteProbeVerdict::kUndetermined;
    } else {
      result.verdict = WriteProbeVerdict::kUnreachable;  // refused, timed out, no such host
    }
    return result;
  }
  for (const char* sql : kProbeStatements) {
    if (auto failed = RunProbeStatement((*conn)->native_handle(), where, sql)) {
      return *failed;  // closing the connection rolls back whatever the probe began
    }
  }
  result.verdict = WriteProbeVerdict::kWritable;
  result.detail = where + " accepted a write as '" + target.credentials.user + "' (rolled back)";
  return result;
}

}  // namespace hasteward::engine::postgres
