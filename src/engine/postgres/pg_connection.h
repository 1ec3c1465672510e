#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "engine/sql_rows.h"
#include "platform/platform.h"

typedef struct pg_conn PGconn;  // NOLINT(modernize-use-using): libpq's own declaration

namespace hasteward::engine::postgres {

struct PgConnectParams {
  std::string host = "127.0.0.1";  // a host name, or a socket directory (starts with '/')
  int port = 5432;
  std::string user = "postgres";
  std::string password;  // never logged
  std::string dbname = "postgres";
  int connect_timeout_seconds = 3;
  // A physical replication connection (BASE_BACKUP, IDENTIFY_SYSTEM): pg_hba's "replication"
  // lines apply and dbname is ignored.
  bool replication = false;
  // What pg_stat_activity shows, and what synchronous_standby_names matches for a replication
  // connection (the WAL receiver's is engine::kWalReceiverName).
  std::string application_name = "hasteward";
  std::string display_name;  // for messages, e.g. "'pg-0' (127.0.0.1:5432)"
};

// One libpq connection (RAII: closed on destruction). Errors name the instance, never the
// password: rejected credentials are kAuthFailed; refused, timed-out or unresolvable connections
// and a server that is starting or shutting down are kUnreachable (retryable). Not thread-safe.
class PgConnection {
 public:
  static core::Result<std::unique_ptr<PgConnection>> Connect(const PgConnectParams& params);
  // Connects to the instance of `handle` at its endpoint() with the cluster's admin credentials
  // (InstanceConnectParams).
  static core::Result<std::unique_ptr<PgConnection>> ConnectInstance(
      const platform::InstanceHandle& handle, const std::string& dbname = "postgres");
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement and returns its rows (empty for commands). kInternal with the server's
  // message on SQL errors; kUnreachable when the connection is lost.
  core::Result<SqlRows> Query(const std::string& sql);
  // The first column of the first row (nullopt for NULL or no rows).
  core::Result<std::optional<std::string>> QueryValue(const std::string& sql);
  core::Status Execute(const std::string& sql);
  // `text` as an SQL string literal, quotes included (libpq's PQescapeLiteral: quotes doubled,
  // backslashes escaped as this connection's standard_conforming_strings needs). kInternal when
  // libpq refuses it (invalid encoding).
  core::Result<std::string> QuoteLiteral(const std::string& text);
  const std::string& display_name() const { return display_name_; }
  // For protocol-level work this class does not wrap (the replication protocol's COPY stream).
  PGconn* native_handle() const { return conn_; }

 private:
  PgConnection(PGconn* conn, std::string display_name)
      : conn_(conn), display_name_(std::move(display_name)) {}
  PGconn* conn_;
  std::string display_name_;
};

// Classifies a libpq connection failure message: kAuthFailed or kUnreachable.
core::ErrorCode ClassifyPgConnectError(const std::string& message);

// The admin user for a cluster ("postgres" when the inventory names none).
std::string PgUser(const platform::Cluster& cluster);

// How to reach the instance of `handle`: the address of its endpoint() (the platform's, never the
// inventory's: kubernetes may route it through the API server), the cluster's admin user and
// password (resolved here), `dbname`. Callers that connect as another user change user/password.
core::Result<PgConnectParams> InstanceConnectParams(const platform::InstanceHandle& handle,
                                                    const std::string& dbname = "postgres");

}  // namespace hasteward::engine::postgres
