#include "engine/mariadb/primary_fence.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "core/clock.h"

namespace hasteward::engine::mariadb {

namespace {

constexpr unsigned kUnknownThread = 1094;
// How long SET GLOBAL read_only may wait on its own before open transactions are killed: an
// autocommit load lets it through in milliseconds.
constexpr std::chrono::milliseconds kGraceBeforeKilling{200};
constexpr std::chrono::milliseconds kKillPollInterval{50};

std::string SqlList(const std::vector<std::string>& values) {
  std::string list;
  for (const auto& value : values)
    list += (list.empty() ? "" : ", ") + SqlQuote(value);
  return list;
}

std::string PrivilegeList(const BypassAccount& account) {
  std::string list;
  for (const auto& privilege : account.privileges)
    list += (list.empty() ? "" : ", ") + privilege;
  return list;
}

}  // namespace

PrimaryFence::PrimaryFence(const platform::InstanceHandle& primary,
                           std::chrono::milliseconds timeout,
                           std::vector<std::string> kept_accounts)
    : handle_(primary),
      primary_(primary.instance()),
      timeout_(timeout),
      kept_accounts_(std::move(kept_accounts)) {}

core::Status PrimaryFence::ReadExemptions(MariadbConnection& conn) {
  HS_ASSIGN_OR_RETURN(exempt_, ReadFenceExemptions(handle_.cluster(), conn));
  exempt_.users.insert(exempt_.users.end(), kept_accounts_.begin(), kept_accounts_.end());
  return core::Status::Ok();
}

core::Result<MariadbConnection*> PrimaryFence::Connection() {
  if (conn_ == nullptr) {
    HS_ASSIGN_OR_RETURN(conn_, MariadbConnection::ConnectInstance(handle_, timeout_));
    long seconds = std::max<long>(
        1, static_cast<long>(std::chrono::ceil<std::chrono::seconds>(timeout_).count()));
    // SET GLOBAL read_only waits for sessions holding table locks: the wait is bounded.
    HS_TRY(conn_->Execute("SET SESSION lock_wait_timeout = " + std::to_string(seconds)));
  }
  return conn_.get();
}

// Kills the sessions of `users` that SessionsToKill picks; a session that ended meanwhile is fine.
core::Status PrimaryFence::KillSessionsOf(MariadbConnection& conn,
                                          const std::vector<std::string>& users) {
  if (users.empty())
    return core::Status::Ok();
  HS_ASSIGN_OR_RETURN(SqlRows rows, conn.Query("SELECT ID, USER, COMMAND FROM "
                                               "information_schema.PROCESSLIST WHERE USER IN (" +
                                               SqlList(users) + ")"));
  std::vector<ServerSession> sessions;
  for (size_t r = 0; r < rows.size(); ++r)
    sessions.push_back({rows.GetOr(r, "ID"), rows.GetOr(r, "USER"), rows.GetOr(r, "COMMAND")});
  for (const std::string& id : SessionsToKill(sessions, users, spared_sessions_)) {
    core::Status killed = conn.Execute("KILL CONNECTION " + id);
    if (!killed.ok() && conn.last_errno() != kUnknownThread)
      return killed;
    if (killed.ok()) {
      ++killed_sessions_;
      killed_ids_.push_back(id);
    }
  }
  return core::Status::Ok();
}

// SET GLOBAL read_only=ON waits for every running write statement, and while it waits every new
// write blocks. Under a transactional load a cycle forms that MariaDB cannot see: B's write waits
// for a row lock held by A's open transaction (InnoDB's lock), read_only waits for B's write, and
// A's next write waits for read_only (metadata locks). All wait until lock_wait_timeout, and the
// fence times out (seen under sysbench oltp_write_only). So while the statement is pending, a
// second connection kills the sessions that hold an open transaction (never the exempt accounts').
// A killed transaction was not committed and its client was never told it was: it retries, and
// finds the new primary.
core::Status PrimaryFence::SetReadOnly(MariadbConnection& conn) {
  HS_ASSIGN_OR_RETURN(auto killer, MariadbConnection::ConnectInstance(handle_, timeout_));
  // A kept account keeps its privileges, not its open transactions: one would hold read_only
  // back like any other.
  std::vector<std::string> never_killed;
  for (const auto& user : exempt_.users) {
    if (std::find(kept_accounts_.begin(), kept_accounts_.end(), user) == kept_accounts_.end())
      never_killed.push_back(user);
  }
  const std::string open_transactions =
      "SELECT t.trx_mysql_thread_id AS ID FROM information_schema.INNODB_TRX t JOIN "
      "information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id WHERE p.ID NOT IN (" +
      SqlList(spared_sessions_) + ", CONNECTION_ID()) AND p.USER NOT IN (" + SqlList(never_killed) +
      ")";
  std::atomic<bool> done{false};
  core::Status result;
  {
    std::jthread setter([&] {
      result = conn.Execute("SET GLOBAL read_only = ON");
      done = true;
    });
    auto kill_after = core::SystemClock::Get().Monotonic() + kGraceBeforeKilling;
    while (!done) {
      core::SystemClock::Get().SleepFor(kKillPollInterval);
      if (done || core::SystemClock::Get().Monotonic() < kill_after)
        continue;
      auto sessions = killer->Query(open_transactions);
      if (!sessions.ok())
        break;  // the setter's own bound (lock_wait_timeout) still ends the wait
      for (size_t r = 0; r < sessions->size(); ++r) {
        core::Status killed = killer->Execute("KILL CONNECTION " + sessions->GetOr(r, "ID"));
        killed_transactions_ += killed.ok() ? 1 : 0;
      }
    }
  }  // the setter has finished here
  return result;
}

core::Result<std::vector<BypassAccount>> PrimaryFence::Prepare(
    const std::vector<std::string>& spared_sessions) {
  HS_ASSIGN_OR_RETURN(MariadbConnection * conn, Connection());
  HS_TRY(ReadExemptions(*conn));
  HS_ASSIGN_OR_RETURN(auto own_id, conn->QueryValue("SELECT CONNECTION_ID()"));
  spared_sessions_ = spared_sessions;
  spared_sessions_.push_back(own_id.value_or("0"));
  HS_ASSIGN_OR_RETURN(prepared_, FindBypass(*conn, exempt_));
  return prepared_->holders;
}

std::unique_ptr<PrimaryFence> PrimaryFence::Resume(const platform::InstanceHandle& primary,
                                                   std::chrono::milliseconds timeout,
                                                   std::vector<BypassAccount> revoked) {
  auto fence = std::make_unique<PrimaryFence>(primary, timeout);
  fence->revoked_ = std::move(revoked);
  fence->read_only_set_ = true;
  return fence;
}

core::Status PrimaryFence::Raise(const std::vector<std::string>& spared_sessions) {
  HS_ASSIGN_OR_RETURN(MariadbConnection * conn, Connection());
  if (!prepared_) {
    HS_TRY(Prepare(spared_sessions).status());
  }
  BypassSet bypass = *prepared_;
  // Revoked first, so a session these accounts open from now on has no bypass; then the sessions
  // they already hold (which keep the privileges they connected with) are killed.
  for (auto& holder : bypass.holders) {
    HS_TRY(conn->Execute("REVOKE " + PrivilegeList(holder) + " ON *.* FROM " + holder.quoted())
               .Wrap("take " + PrivilegeList(holder) + " from " + holder.description()));
    revoked_.push_back(holder);
  }
  HS_TRY(KillSessionsOf(*conn, bypass.session_users));
  read_only_set_ = true;  // Lift() clears it even when the statement below timed out halfway
  HS_TRY(SetReadOnly(*conn).WithHint(
      "a session holds a table lock (LOCK TABLES / FLUSH TABLES WITH READ LOCK) longer than "
      "--timeout; find it in SHOW PROCESSLIST"));
  // HASteward's own account keeps READ ONLY ADMIN (it sets and lifts read_only with it), so any
  // session of it bypasses the fence: an application sharing the account kept writing on the old
  // primary through the switchover, and those acknowledged writes were lost at the promotion
  // (issue 49). So every session of it but HASteward's own connections is killed, after
  // read_only=ON: a client that reconnects from now on (through a proxy that routes by read_only)
  // finds the old primary read-only and moves on; killed before, it could reconnect in between.
  std::vector<std::string> killed_accounts = kept_accounts_;
  if (std::find(killed_accounts.begin(), killed_accounts.end(), exempt_.own_user) ==
      killed_accounts.end())
    killed_accounts.push_back(exempt_.own_user);
  return KillSessionsOf(*conn, killed_accounts);
}

// The structural half of the proof: what the probe write and the still position over a short
// window cannot show. Any holder left (a grant made after the revoke, by an exempt account or an
// event) or a killed session still running could write after the final position was taken.
core::Result<std::string> PrimaryFence::CheckNothingBypasses(MariadbConnection& conn) {
  if (exempt_.own_user.empty()) {  // a fence resumed from a journal read no exemptions yet
    HS_TRY(ReadExemptions(conn));
  }
  HS_ASSIGN_OR_RETURN(BypassSet left, FindBypass(conn, exempt_));
  if (!left.empty()) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        left.holders.front().description() + " holds " +
                            PrivilegeList(left.holders.front()) + " on '" + primary_.name +
                            "' after the fence revoked it",
                        "find what grants it again (an event, another administrator), then run "
                        "the switchover again");
  }
  if (killed_ids_.empty())
    return std::string();
  HS_ASSIGN_OR_RETURN(SqlRows alive, conn.Query("SELECT ID, USER FROM "
                                                "information_schema.PROCESSLIST WHERE ID IN (" +
                                                SqlList(killed_ids_) + ")"));
  if (!alive.empty()) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "session " + alive.GetOr(0, "ID") + " of '" + alive.GetOr(0, "USER") +
                            "' on '" + primary_.name + "' still runs after KILL CONNECTION",
                        "it may still write through read_only; end it, then run the switchover "
                        "again");
  }
  return std::string();
}

core::Result<std::string> PrimaryFence::Prove(ProbeAccount& probe,
                                              std::chrono::milliseconds settle) {
  HS_ASSIGN_OR_RETURN(MariadbConnection * conn, Connection());
  HS_ASSIGN_OR_RETURN(auto before, conn->QueryValue("SELECT @@global.gtid_binlog_pos"));
  HS_ASSIGN_OR_RETURN(ProbeWrite write, probe.TryWrite("fence probe"));
  if (write.accepted) {
    return core::Status(
        core::ErrorCode::kSafetyStop,
        "a write by an ordinary account was accepted on '" + primary_.name + "' after read_only=ON",
        "check that nothing sets read_only back (an agent, a proxy's health "
        "check) and run the switchover again");
  }
  if (write.error_number != kReadOnlyErrno) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "the fence of '" + primary_.name +
                            "' could not be proven: the probe write failed with another error "
                            "than read-only: " +
                            write.error,
                        "fix the cause (see the error), then run the switchover again");
  }
  core::SystemClock::Get().SleepFor(settle);
  HS_ASSIGN_OR_RETURN(auto after, conn->QueryValue("SELECT @@global.gtid_binlog_pos"));
  // Why the position must stand still: a write that still lands after read_only (a session we
  // did not see, an event, a trigger of a bypass account) would be missing from the final set
  // the candidate waits for, and lost at the promotion.
  if (before.value_or("") != after.value_or("")) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "the position of '" + primary_.name + "' moved after the fence (" +
                            before.value_or("") + " -> " + after.value_or("") +
                            "): something still writes",
                        "find the writer in SHOW PROCESSLIST (events, accounts with READ ONLY "
                        "ADMIN), then run the switchover again");
  }
  HS_TRY(CheckNothingBypasses(*conn).status());
  return after.value_or("");
}

core::Status PrimaryFence::Lift() {
  HS_ASSIGN_OR_RETURN(MariadbConnection * conn, Connection());
  if (read_only_set_) {
    HS_TRY(conn->Execute("SET GLOBAL read_only = OFF")
               .Wrap("make '" + primary_.name + "' writable again")
               .WithHint("it stays read-only (safe, but refusing writes): run SET GLOBAL "
                         "read_only=OFF on it"));
    read_only_set_ = false;
  }
  while (!revoked_.empty()) {
    const BypassAccount& account = revoked_.back();
    HS_TRY(conn->Execute("GRANT " + PrivilegeList(account) + " ON *.* TO " + account.quoted())
               .Wrap("give " + PrivilegeList(account) + " back to " + account.quoted()));
    revoked_.pop_back();
  }
  return core::Status::Ok();
}

std::string PrimaryFence::Describe() const {
  std::string out = "read_only=ON";
  for (const auto& account : revoked_)
    out += "; revoked " + PrivilegeList(account) + " from " + account.description();
  if (killed_sessions_ > 0)
    out += "; killed " + std::to_string(killed_sessions_) + " session(s)";
  if (killed_transactions_ > 0) {
    out += "; killed " + std::to_string(killed_transactions_) +
           " session(s) with an open transaction that held read_only back";
  }
  return out;
}

}  // namespace hasteward::engine::mariadb
