#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "engine/sql_rows.h"
#include "platform/platform.h"

typedef struct st_mysql MYSQL;  // NOLINT(modernize-use-using): Connector/C's own declaration

namespace hasteward::engine::mariadb {

struct MariadbConnectParams {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string socket;  // used when port is 0
  std::string user = "root";
  std::string password;  // never logged
  int connect_timeout_seconds = 3;
  int read_timeout_seconds = 30;
  std::string display_name;  // for messages
};

// One MariaDB Connector/C connection (RAII). Errors name the instance, never the password:
// rejected credentials (1045, 1044, 1698) are kAuthFailed; refused, timed-out or lost connections
// (2002, 2003, 2005, 2006, 2013) are kUnreachable (retryable). Not thread-safe.
class MariadbConnection {
 public:
  static core::Result<std::unique_ptr<MariadbConnection>> Connect(
      const MariadbConnectParams& params);
  // Connects to the instance of `handle` at its endpoint() as the cluster's admin user
  // (InstanceConnectParams).
  static core::Result<std::unique_ptr<MariadbConnection>> ConnectInstance(
      const platform::InstanceHandle& handle);
  // The same, for a step of a switchover or failover bounded by `step_bound` (its --timeout): a
  // statement that gets no answer fails after the bound plus 5 s (MariadbStatementTimeout), not
  // the generic 30 s, so a partition costs a step about its bound.
  static core::Result<std::unique_ptr<MariadbConnection>> ConnectInstance(
      const platform::InstanceHandle& handle, std::chrono::milliseconds step_bound);
  ~MariadbConnection();
  MariadbConnection(const MariadbConnection&) = delete;
  MariadbConnection& operator=(const MariadbConnection&) = delete;

  // Runs one statement and returns its rows (empty for statements without a result set).
  core::Result<SqlRows> Query(const std::string& sql);
  core::Result<std::optional<std::string>> QueryValue(const std::string& sql);
  core::Status Execute(const std::string& sql);
  // SHOW GLOBAL STATUS/VARIABLES LIKE 'name' -> value (nullopt when the server has no such name).
  core::Result<std::optional<std::string>> GlobalStatus(const std::string& name);
  core::Result<std::optional<std::string>> GlobalVariable(const std::string& name);
  const std::string& display_name() const { return display_name_; }
  // The server's error number of the last statement (0 after a success), e.g. 1290 for a write
  // refused by read_only: the fence proof tells that refusal from any other failure.
  unsigned last_errno() const;
  // The Connector/C connection, for the binlog dump stream alone (binlog_stream_client.h), which
  // reads the replication packets itself once the dump started.
  MYSQL* native() const { return conn_; }

 private:
  MariadbConnection(MYSQL* conn, std::string display_name)
      : conn_(conn), display_name_(std::move(display_name)) {}
  core::Status QueryError(const std::string& what);
  MYSQL* conn_;
  std::string display_name_;
};

// The read and write timeout, in seconds, of a connection whose statements are each bounded by
// `bound` on the server (lock_wait_timeout, MASTER_GTID_WAIT): the bound rounded up, plus `margin`
// for the reply to arrive.
int MariadbStatementTimeout(std::chrono::milliseconds bound,
                            std::chrono::seconds margin = std::chrono::seconds(5));

// kAuthFailed or kUnreachable for a connect-time client error number.
core::ErrorCode ClassifyMariadbConnectError(unsigned errnum);

// The admin user for a cluster ("root" when the inventory names none).
std::string MariadbUser(const platform::Cluster& cluster);

// How to reach the instance of `handle`: the address of its endpoint() (the platform's, never the
// inventory's: kubernetes may route it through the API server), the cluster's admin user and
// password (resolved here). Callers that connect as another user or need other timeouts change
// those fields.
core::Result<MariadbConnectParams> InstanceConnectParams(const platform::InstanceHandle& handle);

}  // namespace hasteward::engine::mariadb
