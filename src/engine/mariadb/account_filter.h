// What a MariaDB restore does with the users and grants at the end of a dump (the portable
// CREATE USER / GRANT section that `mariadb-dump --system=users` writes after the databases).
// The filter sits between the repository stream and the `mariadb` client and rewrites or drops
// the statements of that section, line by line, by the account they concern:
//   - protected accounts are never touched: the account HASteward connects as, the replication
//     account, root, mariadb.sys, mysql and PUBLIC (all hosts), and the dump's own helper role;
//   - UsersMode::kSkip drops every account statement (users stay as the target has them);
//   - kCreateMissing (the default) creates the accounts the target lacks, with their grants, and
//     leaves accounts the target already has exactly as they are;
//   - kReplace recreates every (unprotected) account of the dump with CREATE OR REPLACE, so its
//     password and grants become the dump's; accounts not in the dump are left alone.
// Lines are classified only from the first top-level `CREATE USER` on (outside DELIMITER blocks),
// so table data, routines and triggers stream through untouched; memory is bounded (an account
// statement longer than kMaxAccountLine is an error, not a buffer).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "core/byte_stream.h"
#include "engine/engine.h"

namespace hasteward::engine::mariadb {

struct AccountFilterOptions {
  UsersMode mode = UsersMode::kCreateMissing;
  std::set<std::string> existing;         // AccountKey(user, host) of the target's accounts/roles
  std::set<std::string> protected_users;  // user names never touched (any host)
  // CURRENT_USER() of the restore's connection ("admin@127.0.0.1"), or "". When set, the dump's
  // `GRANT mariadb_dump_import_role TO CURRENT_USER()` names this account instead. Why: Galera
  // replicates the statement text, and on the other nodes the applier has no current user, so
  // CURRENT_USER() there creates an anonymous ''@'' account (which then breaks every later
  // `mariadb-dump --system=users` on those nodes).
  std::string current_user;
};

// "user@host" (a role: "role@").
std::string AccountKey(const std::string& user, const std::string& host);

// Account names that every restore leaves alone besides the connecting/replication users.
std::set<std::string> BuiltinProtectedUsers();

// Options for restoring into `cluster`: `mode`, and as protected users the builtin ones plus the
// cluster's admin and replication users. `existing` is left empty for the caller to fill.
AccountFilterOptions AccountFilterFor(const platform::Cluster& cluster, UsersMode mode);

struct AccountFilterCounts {
  int created = 0;     // CREATE USER / ROLE kept for an account the target lacks
  int replaced = 0;    // CREATE OR REPLACE USER / ROLE
  int kept = 0;        // accounts the target already had, left as they were
  int protected_ = 0;  // statements dropped because they concern a protected account
  int skipped = 0;     // statements dropped by UsersMode::kSkip
};

// The decision for one complete line of the users section (without its newline): the line to
// send (possibly rewritten), or nullopt to drop it. Counts what it did.
std::optional<std::string> FilterAccountLine(const std::string& line,
                                             const AccountFilterOptions& options,
                                             AccountFilterCounts* counts);

class AccountRestoreFilter : public core::ByteSink {
 public:
  static constexpr size_t kMaxAccountLine = size_t{1} << 20;

  AccountRestoreFilter(std::unique_ptr<core::ByteSink> inner, AccountFilterOptions options);
  core::Status Write(core::ByteView data) override;
  // Sends a last line without newline, then closes the inner sink.
  core::Status Close() override;
  const AccountFilterCounts& counts() const { return counts_; }

 private:
  enum class LineState { kStart, kPass, kBuffer };
  core::Status EndOfLine(bool newline);
  core::Status Decide();

  std::unique_ptr<core::ByteSink> inner_;
  AccountFilterOptions options_;
  AccountFilterCounts counts_;
  LineState state_ = LineState::kStart;
  std::string line_;  // the start of the current line (kStart) or all of it (kBuffer)
  bool in_section_ = false;
  bool in_delimiter_block_ = false;
};

}  // namespace hasteward::engine::mariadb
