// Who can write through MariaDB's read_only: accounts and roles holding READ ONLY ADMIN (and,
// before 10.11, SUPER, which implied it), directly or through roles, nested roles and default
// roles, from any host. The switchover fence (primary_fence.h) takes the privilege from every
// holder and kills the sessions of every account that may carry it; the plan (--dry-run) names
// them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/mariadb/mariadb_connection.h"
#include "platform/platform.h"

namespace hasteward::engine::mariadb {

// An account or role holding a privilege that bypasses read_only, and those privileges.
struct BypassAccount {
  std::string user;  // the role's name for a role
  std::string host;  // empty for a role
  bool role = false;
  std::vector<std::string> privileges;  // "READ_ONLY ADMIN", "SUPER"

  std::string quoted() const;       // 'user'@'host', or 'role'
  std::string description() const;  // 'user'@'host', or role 'role'
  // One line a rerun reads back (the fence journals what it revokes before it revokes it):
  // "revoked\t<account|role>\t<user>\t<host>\t<privilege,privilege>".
  std::string Note() const;
  static std::optional<BypassAccount> FromNote(const std::string& note);
};

// Whose privileges the fence never revokes. HASteward's own account is spared as the server
// matched it (CURRENT_USER()), with the same user on the server's own host (localhost, 127.0.0.1,
// ::1: the socket and loopback accounts HASteward reaches a local instance through), and nothing
// else of that name: 'root'@'localhost' running the switchover spares no application on 'root'@'%'.
// Its privilege stays (HASteward needs READ ONLY ADMIN to set and lift read_only), but its
// sessions are not spared: the fence kills every one HASteward does not hold itself
// (SessionsToKill). The probe, replication and mariadb.sys accounts are spared by name, sessions
// too: the probe is HASteward's own, and the replicas' threads read the old primary's binlog
// through the replication account until they caught up.
struct FenceExemptions {
  std::string own_user;
  std::string own_host;
  std::vector<std::string> users;

  bool Exempts(const std::string& user, const std::string& host) const;
};
core::Result<FenceExemptions> ReadFenceExemptions(const platform::Cluster& cluster,
                                                  MariadbConnection& conn);

struct BypassSet {
  // Where the privilege is held directly: the fence revokes it from each (a role's holders all
  // lose it at once).
  std::vector<BypassAccount> holders;
  // The login names whose sessions may carry it: the accounts among the holders and every account
  // granted a holding role, through any nesting. A session keeps the privileges it connected with,
  // so the fence kills these.
  std::vector<std::string> session_users;

  bool empty() const { return holders.empty(); }
};

// Every holder and session user that `exempt` does not spare. Refuses (kSafetyStop) when
// HASteward's own account holds READ ONLY ADMIN only through a role the fence would revoke it
// from: that would take the switchover's own privilege.
core::Result<BypassSet> FindBypass(MariadbConnection& conn, const FenceExemptions& exempt);

// A session on the server, as information_schema.PROCESSLIST lists it.
struct ServerSession {
  std::string id;
  std::string user;     // the login name (USER)
  std::string command;  // COMMAND: "Query", "Sleep", "Binlog Dump", ...
};

// The ids among `sessions` the fence kills: every session of a name in `users`, except the
// connection ids in `spared` (the ones HASteward itself holds) and binlog dump threads (they only
// read the binary log and cannot write: a replica, the candidate too, keeps streaming).
std::vector<std::string> SessionsToKill(const std::vector<ServerSession>& sessions,
                                        const std::vector<std::string>& users,
                                        const std::vector<std::string>& spared);

// The privileges on *.* a `SHOW GRANTS` line grants to `grantee` (the line's own grantee only: a
// role's SHOW GRANTS also lists the grants of the roles it holds). Empty for another line.
std::vector<std::string> GlobalPrivilegesOf(const std::string& show_grants_line,
                                            const std::string& grantee);

}  // namespace hasteward::engine::mariadb
