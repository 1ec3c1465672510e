// The ordinary account a switchover writes with to prove a fence (the write must be refused) and
// a promotion (the write must be accepted). HASteward's own admin account cannot prove either: it
// holds READ ONLY ADMIN, so its writes go through read_only. The account exists only during one
// switchover, only on the instance it probes (created and dropped with sql_log_bin=0, so neither
// it nor its password ever reaches a binary log or a replica), with a random password held in
// memory, and may write only to the probe table.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "engine/mariadb/mariadb_connection.h"
#include "platform/platform.h"

namespace hasteward::engine::mariadb {

inline constexpr char kProbeDatabase[] = "hasteward";
inline constexpr char kProbeTable[] = "switchover_probe";
inline constexpr char kProbeUser[] = "hasteward_probe";
// ER_OPTION_PREVENTS_STATEMENT: "running with the --read-only option".
inline constexpr unsigned kReadOnlyErrno = 1290;

// Creates `hasteward`.`switchover_probe` on the primary when it is missing (a replicated DDL, so
// every replica has it once it caught up). A one-row table: each probe overwrites row 1.
core::Status EnsureProbeTable(MariadbConnection& primary);

// Whether one probe write was accepted, and if not, the server's error.
struct ProbeWrite {
  bool accepted = false;
  unsigned error_number = 0;  // 1290 (kReadOnlyErrno) when read_only refused it
  std::string error;
};

// The probe account on one instance; dropped again by the destructor. Not thread-safe.
class ProbeAccount {
 public:
  // Creates (or replaces) the account on `instance` through `admin` (an admin connection to it,
  // owned by the account from now on) with a fresh random password.
  static core::Result<std::unique_ptr<ProbeAccount>> Create(
      const platform::InstanceHandle& instance, std::unique_ptr<MariadbConnection> admin);
  ~ProbeAccount();
  ProbeAccount(const ProbeAccount&) = delete;
  ProbeAccount& operator=(const ProbeAccount&) = delete;

  // Connects as the probe account and writes row 1 of the probe table with `note`. kUnreachable
  // when it cannot connect; a refused write is not an error here (see ProbeWrite).
  core::Result<ProbeWrite> TryWrite(const std::string& note);
  // The connection id of the admin connection the account keeps (to drop itself at the end): a
  // fence must not kill it.
  core::Result<std::string> AdminSessionId();

 private:
  ProbeAccount(platform::Instance instance, MariadbConnectParams params,
               std::unique_ptr<MariadbConnection> admin)
      : instance_(std::move(instance)), params_(std::move(params)), admin_(std::move(admin)) {}

  platform::Instance instance_;
  MariadbConnectParams params_;  // the instance's endpoint, as the probe account
  std::unique_ptr<MariadbConnection> admin_;
};

// 'text' as a SQL string literal (backslash and quote escaped).
std::string SqlQuote(const std::string& text);

}  // namespace hasteward::engine::mariadb
