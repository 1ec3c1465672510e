// Fencing a MariaDB primary for a switchover, and proving the fence. `read_only=ON` alone is not a
// fence: accounts holding READ ONLY ADMIN (and, before 10.11, SUPER, which implied it) keep
// writing through it — the way an old primary kept extra transactions elsewhere (MySQL added
// super_read_only for it; MaxScale kills those sessions). So the fence also takes that privilege
// from every account that is not HASteward's own and kills their sessions (a session keeps the
// privileges it connected with), kills every session of HASteward's own account but the ones
// HASteward holds (by connection id: an application may share the account), and the proof is a
// write by an ordinary account that must be refused while the GTID position stays still.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/mariadb/bypass_accounts.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/probe_account.h"
#include "platform/platform.h"

namespace hasteward::engine::mariadb {

// How long the old primary's position must stand still after the fence (Prove's `settle`): in
// HASteward's own switchover, and before an operator's (operator_handover.h), longer there: the
// operator's account keeps its bypass, and a writer on it is seen only by the position moving.
inline constexpr std::chrono::milliseconds kFenceSettle{200};
inline constexpr std::chrono::milliseconds kFenceSettleBeforeOperator{1000};

// The fence on one primary, raised and — on an abort — lifted again. The REVOKE and GRANT are
// written to the binary log on purpose: they reach every replica, so after a switchover the
// accounts and roles cannot write on any replica (the old primary included), and the new primary
// keeps accepting their writes because it is not read-only. Not thread-safe.
class PrimaryFence {
 public:
  // `primary` is the run's handle of the old primary; it must outlive the fence. `kept_accounts`
  // keep their privileges from every host (an operator's own account, which it needs READ ONLY
  // ADMIN on to set read_only: operator_handover.h); their sessions are still killed.
  PrimaryFence(const platform::InstanceHandle& primary, std::chrono::milliseconds timeout,
               std::vector<std::string> kept_accounts = {});

  // Revokes the bypass privileges (bypass_accounts.h), kills every session that may carry them
  // except `spared_sessions` (connection ids HASteward itself holds on the primary), sets
  // read_only=ON (bounded by `timeout` through lock_wait_timeout: it waits for table locks),
  // killing the sessions whose open transaction holds it back, then kills every session of
  // HASteward's own account except `spared_sessions` and the fence's own. Partial effects are
  // recorded, so Lift() undoes whatever was done.
  core::Status Raise(const std::vector<std::string>& spared_sessions = {});
  // What Raise will revoke, read once (Raise uses it): the caller journals it first, so that a
  // run killed halfway through the revokes can still give every privilege back.
  core::Result<std::vector<BypassAccount>> Prepare(const std::vector<std::string>& spared_sessions);
  // The fence an interrupted run raised on `primary`: read_only set and `revoked` taken (from its
  // journal), so that Prove and Lift work as if this run had raised it.
  static std::unique_ptr<PrimaryFence> Resume(const platform::InstanceHandle& primary,
                                              std::chrono::milliseconds timeout,
                                              std::vector<BypassAccount> revoked);
  // Proves the fence: `probe` (an ordinary account) inserts a row and must be refused with the
  // read-only error (1290), and gtid_binlog_pos must not move over `settle`; then, so that the
  // proof does not rest on that window alone, no account or role may hold a bypass privilege any
  // more and no killed session may be left. Returns the final GTID set (the position the
  // candidate must reach exactly).
  core::Result<std::string> Prove(ProbeAccount& probe, std::chrono::milliseconds settle);
  // Undo after an abort before the promotion: read_only=OFF, and every revoked privilege granted
  // back exactly. Idempotent.
  core::Status Lift();

  const std::vector<BypassAccount>& revoked() const { return revoked_; }
  // "read_only=ON; revoked READ_ONLY ADMIN from 'app'@'%'; revoked READ_ONLY ADMIN from role
  // 'writers'; killed 2 sessions".
  std::string Describe() const;

 private:
  core::Result<MariadbConnection*> Connection();
  core::Status KillSessionsOf(MariadbConnection& conn, const std::vector<std::string>& users);
  core::Status SetReadOnly(MariadbConnection& conn);
  core::Result<std::string> CheckNothingBypasses(MariadbConnection& conn);
  // ReadFenceExemptions, with the kept accounts among the exempt users.
  core::Status ReadExemptions(MariadbConnection& conn);

  const platform::InstanceHandle& handle_;
  const platform::Instance& primary_;
  std::chrono::milliseconds timeout_;
  std::vector<std::string> kept_accounts_;
  std::unique_ptr<MariadbConnection> conn_;
  FenceExemptions exempt_;
  std::optional<BypassSet> prepared_;
  std::vector<std::string> spared_sessions_;  // never killed: HASteward's own connections
  std::vector<BypassAccount> revoked_;
  std::vector<std::string> killed_ids_;
  int killed_sessions_ = 0;
  int killed_transactions_ = 0;
  bool read_only_set_ = false;
};

}  // namespace hasteward::engine::mariadb
