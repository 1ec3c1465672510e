#include "engine/mariadb/mariadb_connection.h"

#include <algorithm>
#include <vector>

#include <mysql.h>

#include "engine/client_tools.h"

namespace hasteward::engine::mariadb {

namespace {

constexpr unsigned kAccessDenied = 1045;
constexpr unsigned kDbAccessDenied = 1044;
constexpr unsigned kAccessDeniedNoPassword = 1698;
constexpr unsigned kServerGone = 2006;
constexpr unsigned kServerLost = 2013;

bool IsConnectionLost(unsigned errnum) {
  return errnum == kServerGone || errnum == kServerLost ||
         (errnum >= 2000 && errnum < 2100 && errnum != 2014 && errnum != 2027);
}

}  // namespace

core::ErrorCode ClassifyMariadbConnectError(unsigned errnum) {
  if (errnum == kAccessDenied || errnum == kDbAccessDenied || errnum == kAccessDeniedNoPassword) {
    return core::ErrorCode::kAuthFailed;
  }
  return core::ErrorCode::kUnreachable;
}

std::string MariadbUser(const platform::Cluster& cluster) {
  return cluster.credentials.user.empty() ? "root" : cluster.credentials.user;
}

core::Result<std::unique_ptr<MariadbConnection>> MariadbConnection::Connect(
    const MariadbConnectParams& p) {
  MYSQL* conn = mysql_init(nullptr);
  if (conn == nullptr) {
    return core::Status(core::ErrorCode::kInternal,
                        "mariadb client could not allocate a connection");
  }
  unsigned connect_timeout = static_cast<unsigned>(p.connect_timeout_seconds);
  unsigned read_timeout = static_cast<unsigned>(p.read_timeout_seconds);
  mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_options(conn, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_options(conn, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
  if (p.port > 0) {
    unsigned proto = MYSQL_PROTOCOL_TCP;
    mysql_options(conn, MYSQL_OPT_PROTOCOL, &proto);
  }
  std::string name =
      p.display_name.empty() ? "'" + p.host + ":" + std::to_string(p.port) + "'" : p.display_name;
  MYSQL* ok = mysql_real_connect(
      conn, p.port > 0 ? p.host.c_str() : nullptr, p.user.c_str(),
      p.password.empty() ? nullptr : p.password.c_str(), nullptr, static_cast<unsigned>(p.port),
      p.port > 0 || p.socket.empty() ? nullptr : p.socket.c_str(), CLIENT_MULTI_RESULTS);
  if (ok == nullptr) {
    unsigned errnum = mysql_errno(conn);
    std::string msg = mysql_error(conn);
    mysql_close(conn);
    core::ErrorCode code = ClassifyMariadbConnectError(errnum);
    core::Status s(code,
                   "connect to mariadb " + name + " as '" + p.user + "': " + msg + " (error " +
                       std::to_string(errnum) + ")",
                   code == core::ErrorCode::kAuthFailed
                       ? "check the user and password reference in the inventory"
                       : "check that the instance is running and the host and port are right");
    if (code == core::ErrorCode::kUnreachable) {
      s.SetRetryable();
    }
    return s;
  }
  return std::unique_ptr<MariadbConnection>(new MariadbConnection(conn, name));
}

core::Result<MariadbConnectParams> InstanceConnectParams(const platform::InstanceHandle& handle) {
  const platform::Endpoint endpoint = handle.endpoint();
  MariadbConnectParams p;
  p.host = endpoint.host.empty() ? "127.0.0.1" : endpoint.host;
  p.port = endpoint.port;
  p.socket = endpoint.socket;
  p.user = MariadbUser(handle.cluster());
  HS_ASSIGN_OR_RETURN(p.password, handle.cluster().credentials.password.Resolve());
  p.display_name = DescribeInstance(handle.instance());
  return p;
}

core::Result<std::unique_ptr<MariadbConnection>> MariadbConnection::ConnectInstance(
    const platform::InstanceHandle& handle) {
  HS_ASSIGN_OR_RETURN(MariadbConnectParams p, InstanceConnectParams(handle));
  return Connect(p);
}

core::Result<std::unique_ptr<MariadbConnection>> MariadbConnection::ConnectInstance(
    const platform::InstanceHandle& handle, std::chrono::milliseconds step_bound) {
  HS_ASSIGN_OR_RETURN(MariadbConnectParams p, InstanceConnectParams(handle));
  p.read_timeout_seconds = MariadbStatementTimeout(step_bound);
  return Connect(p);
}

int MariadbStatementTimeout(std::chrono::milliseconds bound, std::chrono::seconds margin) {
  auto seconds = std::chrono::ceil<std::chrono::seconds>(std::max(bound, decltype(bound)::zero()));
  return static_cast<int>((seconds + margin).count());
}

MariadbConnection::~MariadbConnection() {
  if (conn_ != nullptr) {
    mysql_close(conn_);
  }
}

core::Status MariadbConnection::QueryError(const std::string& what) {
  unsigned errnum = mysql_errno(conn_);
  bool lost = IsConnectionLost(errnum);
  core::Status s(lost ? core::ErrorCode::kUnreachable : core::ErrorCode::kInternal,
                 what + " on mariadb " + display_name_ + " failed: " + mysql_error(conn_) +
                     " (error " + std::to_string(errnum) + ")");
  if (lost) {
    s.SetRetryable();
  }
  return s;
}

core::Result<SqlRows> MariadbConnection::Query(const std::string& sql) {
  if (mysql_real_query(conn_, sql.data(), sql.size()) != 0) {
    return QueryError("query");
  }
  SqlRows rows;
  bool first = true;
  do {
    MYSQL_RES* res = mysql_store_result(conn_);
    if (res == nullptr) {
      if (mysql_field_count(conn_) != 0) {
        return QueryError("reading a result");
      }
      continue;
    }
    if (first) {  // the first result set is the one returned; later ones are drained
      unsigned ncols = mysql_num_fields(res);
      MYSQL_FIELD* fields = mysql_fetch_fields(res);
      for (unsigned c = 0; c < ncols; ++c) {
        rows.columns.emplace_back(fields[c].name);
      }
      while (MYSQL_ROW row = mysql_fetch_row(res)) {
        unsigned long* lengths = mysql_fetch_lengths(res);
        std::vector<std::optional<std::string>> out;
        for (unsigned c = 0; c < ncols; ++c) {
          if (row[c] == nullptr) {
            out.emplace_back(std::nullopt);
          } else {
            out.emplace_back(std::string(row[c], lengths[c]));
          }
        }
        rows.rows.push_back(std::move(out));
      }
      first = false;
    }
    mysql_free_result(res);
  } while (mysql_next_result(conn_) == 0);
  if (mysql_errno(conn_) != 0) {
    return QueryError("query");
  }
  return rows;
}

core::Result<std::optional<std::string>> MariadbConnection::QueryValue(const std::string& sql) {
  HS_ASSIGN_OR_RETURN(SqlRows rows, Query(sql));
  if (rows.rows.empty() || rows.rows[0].empty()) {
    return std::optional<std::string>();
  }
  return rows.rows[0][0];
}

unsigned MariadbConnection::last_errno() const {
  return mysql_errno(conn_);
}

core::Status MariadbConnection::Execute(const std::string& sql) {
  return Query(sql).TakeStatus();
}

core::Result<std::optional<std::string>> MariadbConnection::GlobalStatus(const std::string& name) {
  HS_ASSIGN_OR_RETURN(SqlRows rows, Query("SHOW GLOBAL STATUS LIKE '" + name + "'"));
  if (rows.empty()) {
    return std::optional<std::string>();
  }
  return rows.rows[0].size() > 1 ? rows.rows[0][1] : std::nullopt;
}

core::Result<std::optional<std::string>> MariadbConnection::GlobalVariable(
    const std::string& name) {
  HS_ASSIGN_OR_RETURN(SqlRows rows, Query("SHOW GLOBAL VARIABLES LIKE '" + name + "'"));
  if (rows.empty()) {
    return std::optional<std::string>();
  }
  return rows.rows[0].size() > 1 ? rows.rows[0][1] : std::nullopt;
}

}  // namespace hasteward::engine::mariadb
