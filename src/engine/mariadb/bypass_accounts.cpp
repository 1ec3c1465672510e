#include "engine/mariadb/bypass_accounts.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "engine/mariadb/probe_account.h"

namespace hasteward::engine::mariadb {

namespace {

constexpr char kReadOnlyAdmin[] = "READ_ONLY ADMIN";
constexpr char kSuper[] = "SUPER";
constexpr char kAllPrivileges[] = "ALL PRIVILEGES";

// Before 10.11, SUPER included READ ONLY ADMIN (MariaDB took it out of SUPER in 10.11.0).
core::Result<std::vector<std::string>> BypassPrivileges(MariadbConnection& conn) {
  HS_ASSIGN_OR_RETURN(auto version, conn.QueryValue("SELECT VERSION()"));
  std::string text = version.value_or("");
  int major = std::atoi(text.c_str());
  size_t dot = text.find('.');
  int minor = dot == std::string::npos ? 0 : std::atoi(text.c_str() + dot + 1);
  if (major < 10 || (major == 10 && minor < 11))
    return std::vector<std::string>{kReadOnlyAdmin, kSuper};
  return std::vector<std::string>{kReadOnlyAdmin};
}

// "'user'@'host'" -> user, host.
bool ParseGrantee(const std::string& grantee, std::string* user, std::string* host) {
  size_t at = grantee.rfind("'@'");
  if (grantee.size() < 5 || grantee.front() != '\'' || grantee.back() != '\'' ||
      at == std::string::npos) {
    return false;
  }
  *user = grantee.substr(1, at - 1);
  *host = grantee.substr(at + 3, grantee.size() - at - 4);
  return true;
}

std::string SqlList(const std::vector<std::string>& values) {
  std::string list;
  for (const auto& value : values)
    list += (list.empty() ? "" : ", ") + SqlQuote(value);
  return list;
}

void AddOnce(std::vector<std::string>* names, const std::string& name) {
  if (std::find(names->begin(), names->end(), name) == names->end())
    names->push_back(name);
}

// Accounts holding a bypass privilege themselves (information_schema lists accounts, not roles).
// Whether HASteward's own account is among them: then a role's bypass is not what it relies on.
core::Result<bool> FindAccountHolders(MariadbConnection& conn,
                                      const std::vector<std::string>& types,
                                      const FenceExemptions& exempt, BypassSet* set) {
  bool own_holds = false;
  HS_ASSIGN_OR_RETURN(SqlRows rows,
                      conn.Query("SELECT GRANTEE, PRIVILEGE_TYPE FROM "
                                 "information_schema.USER_PRIVILEGES WHERE "
                                 "PRIVILEGE_TYPE IN (" +
                                 SqlList(types) + ") ORDER BY GRANTEE, PRIVILEGE_TYPE"));
  for (size_t r = 0; r < rows.size(); ++r) {
    BypassAccount account;
    if (!ParseGrantee(rows.GetOr(r, "GRANTEE"), &account.user, &account.host))
      continue;
    own_holds = own_holds || (account.user == exempt.own_user && account.host == exempt.own_host &&
                              rows.GetOr(r, "PRIVILEGE_TYPE") == kReadOnlyAdmin);
    if (exempt.Exempts(account.user, account.host))
      continue;
    auto& holders = set->holders;
    if (!holders.empty() && !holders.back().role && holders.back().user == account.user &&
        holders.back().host == account.host) {
      holders.back().privileges.push_back(rows.GetOr(r, "PRIVILEGE_TYPE"));
      continue;
    }
    account.privileges.push_back(rows.GetOr(r, "PRIVILEGE_TYPE"));
    AddOnce(&set->session_users, account.user);
    holders.push_back(std::move(account));
  }
  return own_holds;
}

// The bypass privileges `role` holds itself, from its SHOW GRANTS.
core::Result<std::vector<std::string>> RoleBypass(MariadbConnection& conn, const std::string& role,
                                                  const std::vector<std::string>& types) {
  HS_ASSIGN_OR_RETURN(SqlRows grants, conn.Query("SHOW GRANTS FOR " + SqlQuote(role)));
  std::vector<std::string> held;
  for (size_t r = 0; r < grants.size(); ++r) {
    for (const auto& privilege :
         GlobalPrivilegesOf(grants.rows[r].empty() ? "" : grants.rows[r][0].value_or(""), role)) {
      for (const auto& type : types) {
        if (privilege == type || privilege == kAllPrivileges)
          AddOnce(&held, type);
      }
    }
  }
  return held;
}

// Roles holding a bypass privilege themselves become holders; every role and account granted one
// of them, at any depth, may carry it.
core::Status FindRoleHolders(MariadbConnection& conn, const std::vector<std::string>& types,
                             const FenceExemptions& exempt, bool own_holds_directly,
                             BypassSet* set) {
  HS_ASSIGN_OR_RETURN(SqlRows roles,
                      conn.Query("SELECT User FROM mysql.global_priv WHERE JSON_VALUE(Priv, "
                                 "'$.is_role') IN ('true', '1') ORDER BY User"));
  std::set<std::string> role_names;
  std::set<std::string> carrying;  // roles that hold the privilege or contain one that does
  for (size_t r = 0; r < roles.size(); ++r) {
    std::string role = roles.GetOr(r, "User");
    role_names.insert(role);
    HS_ASSIGN_OR_RETURN(std::vector<std::string> held, RoleBypass(conn, role, types));
    if (held.empty())
      continue;
    set->holders.push_back({.user = role, .host = "", .role = true, .privileges = held});
    carrying.insert(role);
  }
  if (carrying.empty())
    return core::Status::Ok();
  HS_ASSIGN_OR_RETURN(SqlRows mapping,
                      conn.Query("SELECT User, Host, Role FROM mysql.roles_mapping"));
  for (bool grew = true; grew;) {  // nested roles: until no role is added
    grew = false;
    for (size_t r = 0; r < mapping.size(); ++r) {
      std::string grantee = mapping.GetOr(r, "User");
      if (carrying.count(mapping.GetOr(r, "Role")) != 0 && role_names.count(grantee) != 0)
        grew = carrying.insert(grantee).second || grew;
    }
  }
  for (size_t r = 0; r < mapping.size(); ++r) {
    std::string user = mapping.GetOr(r, "User");
    std::string host = mapping.GetOr(r, "Host");
    std::string role = mapping.GetOr(r, "Role");
    if (carrying.count(role) == 0 || role_names.count(user) != 0)
      continue;
    // CREATE ROLE grants the role to its creator: HASteward's account holding one is common and
    // harmless while it holds the privilege itself too.
    if (user == exempt.own_user && host == exempt.own_host && !own_holds_directly) {
      std::string message = "HASteward's own account '";
      message += user;
      message += "'@'";
      message += host;
      message += "' holds the read_only bypass through role '";
      message += role;
      message += "', which the fence would revoke";
      return core::Status(core::ErrorCode::kSafetyStop, message,
                          "grant that account READ_ONLY ADMIN directly, then run the switchover "
                          "again");
    }
    if (!exempt.Exempts(user, host))
      AddOnce(&set->session_users, user);
  }
  return core::Status::Ok();
}

}  // namespace

std::string BypassAccount::quoted() const {
  return role ? SqlQuote(user) : SqlQuote(user) + "@" + SqlQuote(host);
}

std::string BypassAccount::description() const {
  return role ? "role " + quoted() : quoted();
}

std::string BypassAccount::Note() const {
  std::string list;
  for (const auto& privilege : privileges)
    list += (list.empty() ? "" : ",") + privilege;
  return std::string("revoked\t") + (role ? "role" : "account") + "\t" + user + "\t" + host + "\t" +
         list;
}

std::optional<BypassAccount> BypassAccount::FromNote(const std::string& note) {
  std::vector<std::string> fields;
  for (size_t start = 0;;) {
    size_t tab = note.find('\t', start);
    fields.push_back(note.substr(start, tab == std::string::npos ? tab : tab - start));
    if (tab == std::string::npos)
      break;
    start = tab + 1;
  }
  if (fields.size() != 5 || fields[0] != "revoked" ||
      (fields[1] != "role" && fields[1] != "account") || fields[2].empty() || fields[4].empty())
    return std::nullopt;
  BypassAccount account{
      .user = fields[2], .host = fields[3], .role = fields[1] == "role", .privileges = {}};
  for (size_t start = 0;;) {
    size_t comma = fields[4].find(',', start);
    account.privileges.push_back(
        fields[4].substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return account;
}

bool FenceExemptions::Exempts(const std::string& user, const std::string& host) const {
  if (user == own_user &&
      (host == own_host || host == "localhost" || host == "127.0.0.1" || host == "::1"))
    return true;
  return std::find(users.begin(), users.end(), user) != users.end();
}

core::Result<FenceExemptions> ReadFenceExemptions(const platform::Cluster& cluster,
                                                  MariadbConnection& conn) {
  HS_ASSIGN_OR_RETURN(auto current, conn.QueryValue("SELECT CURRENT_USER()"));
  std::string account = current.value_or("");
  size_t at = account.rfind('@');
  if (at == std::string::npos) {
    return core::Internal("CURRENT_USER() answered '" + account + "', not user@host");
  }
  FenceExemptions exempt;
  exempt.own_user = account.substr(0, at);
  exempt.own_host = account.substr(at + 1);
  exempt.users = {kProbeUser, "mariadb.sys"};
  if (!cluster.replication.user.empty())
    exempt.users.push_back(cluster.replication.user);
  return exempt;
}

core::Result<BypassSet> FindBypass(MariadbConnection& conn, const FenceExemptions& exempt) {
  HS_ASSIGN_OR_RETURN(std::vector<std::string> types, BypassPrivileges(conn));
  BypassSet set;
  HS_ASSIGN_OR_RETURN(bool own_holds, FindAccountHolders(conn, types, exempt, &set));
  HS_TRY(FindRoleHolders(conn, types, exempt, own_holds, &set));
  return set;
}

std::vector<std::string> SessionsToKill(const std::vector<ServerSession>& sessions,
                                        const std::vector<std::string>& users,
                                        const std::vector<std::string>& spared) {
  auto contains = [](const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
  };
  std::vector<std::string> ids;
  for (const auto& session : sessions) {
    // By connection id, never by account: an application sharing HASteward's account is not
    // HASteward, and its session would write through read_only (issue 49: acknowledged writes
    // taken by the demoted primary, lost at the promotion).
    if (!contains(users, session.user) || contains(spared, session.id))
      continue;
    // "Binlog Dump" / "Binlog Dump GTID" streams the binary log and cannot write; it may be the
    // candidate's own feed (replicas that replicate through HASteward's account): killed, it would
    // stall the catch-up for the replica's connect retry.
    if (session.command.rfind("Binlog Dump", 0) == 0)
      continue;
    ids.push_back(session.id);
  }
  return ids;
}

std::vector<std::string> GlobalPrivilegesOf(const std::string& show_grants_line,
                                            const std::string& grantee) {
  const std::string grant = "GRANT ";
  const std::string on_all = " ON *.* TO ";
  size_t on = show_grants_line.find(on_all);
  if (show_grants_line.rfind(grant, 0) != 0 || on == std::string::npos)
    return {};
  std::string quoted = "`";
  for (char c : grantee)
    quoted += c == '`' ? std::string("``") : std::string(1, c);
  quoted += "`";
  size_t to = on + on_all.size();
  if (show_grants_line.compare(to, quoted.size(), quoted) != 0)
    return {};
  size_t after = to + quoted.size();
  if (after < show_grants_line.size() && show_grants_line[after] == '@')
    return {};  // an account whose user name is the role's name, not the role
  std::vector<std::string> privileges;
  std::string list = show_grants_line.substr(grant.size(), on - grant.size());
  for (size_t start = 0; start <= list.size();) {
    size_t comma = list.find(", ", start);
    std::string item =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty())
      privileges.push_back(item);
    if (comma == std::string::npos)
      break;
    start = comma + 2;
  }
  return privileges;
}

}  // namespace hasteward::engine::mariadb
