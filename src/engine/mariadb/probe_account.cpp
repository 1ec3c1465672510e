#include "engine/mariadb/probe_account.h"

#include <openssl/rand.h>

#include "core/log.h"
#include "engine/client_tools.h"

namespace hasteward::engine::mariadb {

namespace {

std::string ProbeAccountName() {
  return std::string("'") + kProbeUser + "'@'%'";
}

std::string ProbeTableName() {
  return std::string("`") + kProbeDatabase + "`.`" + kProbeTable + "`";
}

core::Result<std::string> RandomPassword() {
  unsigned char raw[18];
  if (RAND_bytes(raw, sizeof(raw)) != 1)
    return core::Internal("no random bytes for the probe account's password");
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : raw) {
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

}  // namespace

std::string SqlQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "'";
}

core::Status EnsureProbeTable(MariadbConnection& primary) {
  // Checked first so a cluster that has the table gets no new GTID from a no-op DDL.
  HS_ASSIGN_OR_RETURN(
      auto exists, primary.QueryValue(std::string("SELECT COUNT(*) FROM "
                                                  "information_schema.tables WHERE "
                                                  "table_schema = '") +
                                      kProbeDatabase + "' AND table_name = '" + kProbeTable + "'"));
  if (exists.value_or("0") != "0")
    return core::Status::Ok();
  HS_TRY(primary.Execute(std::string("CREATE DATABASE IF NOT EXISTS `") + kProbeDatabase + "`"));
  return primary.Execute("CREATE TABLE IF NOT EXISTS " + ProbeTableName() +
                         " (id TINYINT PRIMARY KEY, note VARCHAR(128) NOT NULL, "
                         "at DATETIME(6) NOT NULL) ENGINE=InnoDB");
}

core::Result<std::unique_ptr<ProbeAccount>> ProbeAccount::Create(
    const platform::InstanceHandle& instance, std::unique_ptr<MariadbConnection> admin) {
  HS_ASSIGN_OR_RETURN(std::string password, RandomPassword());
  HS_ASSIGN_OR_RETURN(MariadbConnectParams params, InstanceConnectParams(instance));
  params.user = kProbeUser;
  params.password = password;
  params.read_timeout_seconds = 15;
  // Local to this instance: neither the account nor its password may reach a binary log.
  HS_TRY(admin->Execute("SET SESSION sql_log_bin=0"));
  HS_TRY(admin->Execute("CREATE OR REPLACE USER " + ProbeAccountName() + " IDENTIFIED BY " +
                        SqlQuote(password)));
  HS_TRY(admin->Execute("GRANT SELECT, INSERT, UPDATE ON " + ProbeTableName() + " TO " +
                        ProbeAccountName()));
  return std::unique_ptr<ProbeAccount>(
      new ProbeAccount(instance.instance(), std::move(params), std::move(admin)));
}

ProbeAccount::~ProbeAccount() {
  core::Status dropped = admin_->Execute("DROP USER IF EXISTS " + ProbeAccountName());
  if (!dropped.ok()) {
    core::LogWarn("could not drop the switchover probe account on '" + instance_.name +
                  "': " + dropped.message());
  }
}

core::Result<ProbeWrite> ProbeAccount::TryWrite(const std::string& note) {
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::Connect(params_));
  core::Status st = conn->Execute("INSERT INTO " + ProbeTableName() +
                                  " (id, note, at) VALUES (1, " + SqlQuote(note) +
                                  ", NOW(6)) ON DUPLICATE KEY UPDATE note = VALUES(note), "
                                  "at = VALUES(at)");
  ProbeWrite write;
  write.accepted = st.ok();
  write.error_number = st.ok() ? 0 : conn->last_errno();
  write.error = st.ok() ? "" : st.message();
  if (!st.ok() && st.code() == core::ErrorCode::kUnreachable)
    return st;
  return write;
}

core::Result<std::string> ProbeAccount::AdminSessionId() {
  HS_ASSIGN_OR_RETURN(auto id, admin_->QueryValue("SELECT CONNECTION_ID()"));
  return id.value_or("0");
}

}  // namespace hasteward::engine::mariadb
