#include "engine/postgres/pg_connection.h"

#include <vector>

#include <libpq-fe.h>

#include "core/text.h"
#include "engine/client_tools.h"

namespace hasteward::engine::postgres {

namespace {

// Server NOTICEs ("database does not exist, skipping") are not errors; keep them off stderr.
void DropNotice(void* /*arg*/, const char* /*message*/) {}

bool Contains(const std::string& s, const char* needle) {
  return s.find(needle) != std::string::npos;
}

}  // namespace

core::ErrorCode ClassifyPgConnectError(const std::string& message) {
  if (Contains(message, "password authentication failed") ||
      Contains(message, "authentication failed") || Contains(message, "no password supplied") ||
      Contains(message, "pg_hba.conf rejects") ||
      (Contains(message, "role \"") && Contains(message, "does not exist"))) {
    return core::ErrorCode::kAuthFailed;
  }
  return core::ErrorCode::kUnreachable;
}

std::string PgUser(const platform::Cluster& cluster) {
  return cluster.credentials.user.empty() ? "postgres" : cluster.credentials.user;
}

core::Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const PgConnectParams& p) {
  std::string port = std::to_string(p.port);
  std::string timeout = std::to_string(p.connect_timeout_seconds);
  // A server cut off by the network mid-session must fail the call, not hang it until TCP gives
  // up (15 minutes): keepalives find a silent peer, tcp_user_timeout a peer that stopped
  // acknowledging what was sent (a request into a partition). Unix sockets ignore both.
  std::vector<const char*> keys = {"host",
                                   "port",
                                   "user",
                                   "dbname",
                                   "connect_timeout",
                                   "application_name",
                                   "keepalives_idle",
                                   "keepalives_interval",
                                   "keepalives_count",
                                   "tcp_user_timeout"};
  std::vector<const char*> values = {p.host.c_str(),
                                     port.c_str(),
                                     p.user.c_str(),
                                     p.dbname.c_str(),
                                     timeout.c_str(),
                                     p.application_name.c_str(),
                                     "5",
                                     "2",
                                     "3",
                                     "15000"};
  if (!p.password.empty()) {
    keys.push_back("password");
    values.push_back(p.password.c_str());
  }
  if (p.replication) {
    keys.push_back("replication");
    values.push_back("true");
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 0);
  std::string name = p.display_name.empty() ? "'" + p.host + ":" + port + "'" : p.display_name;
  if (conn == nullptr) {
    return core::Status(core::ErrorCode::kInternal, "libpq could not allocate a connection");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = core::TrimTrailingSpace(PQerrorMessage(conn));
    PQfinish(conn);
    core::ErrorCode code = ClassifyPgConnectError(msg);
    core::Status s(code, "connect to postgresql " + name + " as '" + p.user + "': " + msg,
                   code == core::ErrorCode::kAuthFailed
                       ? "check the user and password reference in the inventory"
                       : "check that the instance is running and the host and port are right");
    if (code == core::ErrorCode::kUnreachable) {
      s.SetRetryable();
    }
    return s;
  }
  PQsetNoticeProcessor(conn, DropNotice, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn, name));
}

core::Result<PgConnectParams> InstanceConnectParams(const platform::InstanceHandle& handle,
                                                    const std::string& dbname) {
  const platform::Endpoint endpoint = handle.endpoint();
  PgConnectParams p;
  p.host = endpoint.host.empty() ? endpoint.socket : endpoint.host;
  p.port = endpoint.port > 0 ? endpoint.port : 5432;
  p.user = PgUser(handle.cluster());
  HS_ASSIGN_OR_RETURN(p.password, handle.cluster().credentials.password.Resolve());
  p.dbname = dbname;
  p.display_name = DescribeInstance(handle.instance());
  return p;
}

core::Result<std::unique_ptr<PgConnection>> PgConnection::ConnectInstance(
    const platform::InstanceHandle& handle, const std::string& dbname) {
  HS_ASSIGN_OR_RETURN(PgConnectParams p, InstanceConnectParams(handle, dbname));
  return Connect(p);
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) {
    PQfinish(conn_);
  }
}

core::Result<SqlRows> PgConnection::Query(const std::string& sql) {
  PGresult* res = PQexec(conn_, sql.c_str());
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    std::string msg =
        core::TrimTrailingSpace(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
    if (msg.empty()) {
      msg = core::TrimTrailingSpace(PQerrorMessage(conn_));
    }
    if (res != nullptr) {
      PQclear(res);
    }
    bool lost = PQstatus(conn_) != CONNECTION_OK;
    core::Status s(lost ? core::ErrorCode::kUnreachable : core::ErrorCode::kInternal,
                   "query on postgresql " + display_name_ + " failed: " + msg);
    if (lost) {
      s.SetRetryable();
    }
    return s;
  }
  SqlRows rows;
  int ncols = PQnfields(res);
  for (int c = 0; c < ncols; ++c) {
    rows.columns.emplace_back(PQfname(res, c));
  }
  int nrows = PQntuples(res);
  for (int r = 0; r < nrows; ++r) {
    std::vector<std::optional<std::string>> row;
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(res, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(
            std::string(PQgetvalue(res, r, c), static_cast<size_t>(PQgetlength(res, r, c))));
      }
    }
    rows.rows.push_back(std::move(row));
  }
  PQclear(res);
  return rows;
}

core::Result<std::optional<std::string>> PgConnection::QueryValue(const std::string& sql) {
  HS_ASSIGN_OR_RETURN(SqlRows rows, Query(sql));
  if (rows.rows.empty() || rows.rows[0].empty()) {
    return std::optional<std::string>();
  }
  return rows.rows[0][0];
}

core::Status PgConnection::Execute(const std::string& sql) {
  return Query(sql).TakeStatus();
}

core::Result<std::string> PgConnection::QuoteLiteral(const std::string& text) {
  char* quoted = PQescapeLiteral(conn_, text.data(), text.size());
  if (quoted == nullptr) {
    return core::Internal("cannot quote a value for postgresql " + display_name_ + ": " +
                          core::TrimTrailingSpace(PQerrorMessage(conn_)));
  }
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

}  // namespace hasteward::engine::postgres
