#include "engine/mariadb/account_filter.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <string_view>

#include "engine/mariadb/mariadb_connection.h"

namespace hasteward::engine::mariadb {

namespace {

// Enough of a line to tell whether it may be an account statement (all prefixes are shorter).
constexpr size_t kDecidePrefix = 64;

constexpr std::string_view kCreateUser = "CREATE USER ";
constexpr std::string_view kCreateRole = "/*M!100005 CREATE ROLE ";
constexpr std::string_view kGrant = "GRANT ";
constexpr std::string_view kVersionedGrant = "/*M!100005 GRANT ";
constexpr std::string_view kSetDefaultRole = "/*M!100005 SET DEFAULT ROLE ";
constexpr std::string_view kDelimiter = "DELIMITER ";

// The statements mariadb-dump wraps around the section to own the roles it creates.
constexpr std::array<std::string_view, 6> kHelpers = {
    "SELECT COALESCE(CURRENT_ROLE()",
    "CREATE ROLE IF NOT EXISTS mariadb_dump_import_role",
    "GRANT mariadb_dump_import_role TO CURRENT_USER()",
    "SET ROLE ",
    "DROP ROLE mariadb_dump_import_role",
    "/*M!100203 EXECUTE IMMEDIATE CONCAT('SET ROLE '",
};

constexpr std::string_view kGrantImportRole = "GRANT mariadb_dump_import_role TO CURRENT_USER()";

std::string QuoteLiteral(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "'";
}

// "user@host" (as CURRENT_USER() returns it) as 'user'@'host'.
std::string QuotedAccount(const std::string& current_user) {
  size_t at = current_user.rfind('@');
  if (at == std::string::npos)
    return QuoteLiteral(current_user);
  return QuoteLiteral(std::string_view(current_user).substr(0, at)) + "@" +
         QuoteLiteral(std::string_view(current_user).substr(at + 1));
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool MayBeAccountStatement(std::string_view s) {
  for (std::string_view p : {kCreateUser, kCreateRole, kGrant, kVersionedGrant, kSetDefaultRole}) {
    if (StartsWith(s, p))
      return true;
  }
  for (std::string_view h : kHelpers) {
    if (StartsWith(s, h))
      return true;
  }
  return false;
}

// One (possibly quoted) name at `pos`: `x`, 'x', "x" (doubled quote or backslash escapes a
// quote) or a bare word. Advances `pos` past it; nullopt when there is none.
std::optional<std::string> ParseName(std::string_view s, size_t& pos) {
  if (pos >= s.size())
    return std::nullopt;
  char quote = s[pos];
  std::string out;
  if (quote == '`' || quote == '\'' || quote == '"') {
    for (size_t i = pos + 1; i < s.size(); ++i) {
      char c = s[i];
      if (c == '\\' && quote != '`' && i + 1 < s.size()) {
        out += s[++i];
      } else if (c == quote && i + 1 < s.size() && s[i + 1] == quote) {
        out += c;
        ++i;
      } else if (c == quote) {
        pos = i + 1;
        return out;
      } else {
        out += c;
      }
    }
    return std::nullopt;
  }
  while (pos < s.size() && (std::isalnum(static_cast<unsigned char>(s[pos])) != 0 ||
                            s[pos] == '_' || s[pos] == '$' || s[pos] == '.')) {
    out += s[pos++];
  }
  return out.empty() ? std::nullopt : std::optional<std::string>(out);
}

struct Account {
  std::string user;
  std::string host;  // "" for a role
};

std::optional<Account> ParseAccount(std::string_view s, size_t pos) {
  auto user = ParseName(s, pos);
  if (!user)
    return std::nullopt;
  Account a{*user, ""};
  if (pos < s.size() && s[pos] == '@') {
    ++pos;
    auto host = ParseName(s, pos);
    if (!host)
      return std::nullopt;
    a.host = *host;
  }
  return a;
}

// The position just after the first `keyword` outside quotes, or npos.
size_t FindTopLevel(std::string_view s, std::string_view keyword) {
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote != 0) {
      if (c == '\\' && quote != '`') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '`' || c == '\'' || c == '"') {
      quote = c;
    } else if (s.substr(i, keyword.size()) == keyword) {
      return i + keyword.size();
    }
  }
  return std::string_view::npos;
}

enum class Kind { kCreate, kGrantOrDefault };

struct Statement {
  Kind kind;
  Account account;
};

std::optional<Statement> ParseStatement(std::string_view line) {
  std::optional<Account> account;
  Kind kind = Kind::kGrantOrDefault;
  if (StartsWith(line, kCreateUser)) {
    kind = Kind::kCreate;
    account = ParseAccount(line, kCreateUser.size());
  } else if (StartsWith(line, kCreateRole)) {
    kind = Kind::kCreate;
    account = ParseAccount(line, kCreateRole.size());
  } else if (StartsWith(line, kGrant) || StartsWith(line, kVersionedGrant)) {
    size_t to = FindTopLevel(line, " TO ");
    if (to != std::string_view::npos)
      account = ParseAccount(line, to);
  } else if (StartsWith(line, kSetDefaultRole)) {
    size_t for_pos = FindTopLevel(line, " FOR ");
    if (for_pos != std::string_view::npos)
      account = ParseAccount(line, for_pos);
  }
  if (!account)
    return std::nullopt;
  return Statement{kind, *account};
}

std::string OrReplace(const std::string& line) {
  if (StartsWith(line, kCreateUser))
    return "CREATE OR REPLACE USER " + line.substr(kCreateUser.size());
  return "/*M!100005 CREATE OR REPLACE ROLE " + line.substr(kCreateRole.size());
}

}  // namespace

std::string AccountKey(const std::string& user, const std::string& host) {
  return user + "@" + host;
}

std::set<std::string> BuiltinProtectedUsers() {
  return {"root", "mariadb.sys", "mysql", "PUBLIC", "mariadb_dump_import_role"};
}

AccountFilterOptions AccountFilterFor(const platform::Cluster& cluster, UsersMode mode) {
  AccountFilterOptions out;
  out.mode = mode;
  out.protected_users = BuiltinProtectedUsers();
  out.protected_users.insert(MariadbUser(cluster));
  if (!cluster.replication.user.empty())
    out.protected_users.insert(cluster.replication.user);
  return out;
}

std::optional<std::string> FilterAccountLine(const std::string& line,
                                             const AccountFilterOptions& options,
                                             AccountFilterCounts* counts) {
  for (std::string_view h : kHelpers) {
    if (StartsWith(line, h)) {
      if (options.mode == UsersMode::kSkip)
        return std::nullopt;
      if (StartsWith(line, kGrantImportRole) && !options.current_user.empty())
        return "GRANT mariadb_dump_import_role TO " + QuotedAccount(options.current_user) + ";";
      return line;
    }
  }
  auto statement = ParseStatement(line);
  if (!statement)
    return line;  // not an account statement (a comment, a session variable, the dump trailer)
  const Account& a = statement->account;
  bool create = statement->kind == Kind::kCreate;
  // Why protected accounts are dropped in every mode: the restore connects as the admin user and
  // replicas as the replication user; replacing either with the dump's password (or grants)
  // would lock HASteward or replication out of the cluster, and root / mariadb.sys / mysql are
  // the server's own accounts, whose target settings are the ones that work there.
  if (options.protected_users.count(a.user) != 0) {
    counts->protected_ += create ? 1 : 0;
    return std::nullopt;
  }
  switch (options.mode) {
    case UsersMode::kSkip: counts->skipped += create ? 1 : 0; return std::nullopt;
    case UsersMode::kCreateMissing:
      if (options.existing.count(AccountKey(a.user, a.host)) != 0) {
        counts->kept += create ? 1 : 0;
        return std::nullopt;  // its password and grants stay as the target has them
      }
      counts->created += create ? 1 : 0;
      return line;
    case UsersMode::kReplace:
      if (!create)
        return line;
      counts->replaced += 1;
      return OrReplace(line);
  }
  return line;
}

AccountRestoreFilter::AccountRestoreFilter(std::unique_ptr<core::ByteSink> inner,
                                           AccountFilterOptions options)
    : inner_(std::move(inner)), options_(std::move(options)) {}

core::Status AccountRestoreFilter::Decide() {
  bool buffer = StartsWith(line_, kDelimiter) ||
                (!in_delimiter_block_ &&
                 (in_section_ ? MayBeAccountStatement(line_) : StartsWith(line_, kCreateUser)));
  if (buffer) {
    state_ = LineState::kBuffer;
    return core::Status::Ok();
  }
  state_ = LineState::kPass;
  HS_TRY(inner_->Write(core::AsBytes(line_)));
  line_.clear();
  return core::Status::Ok();
}

core::Status AccountRestoreFilter::EndOfLine(bool newline) {
  std::optional<std::string> out = line_;
  if (StartsWith(line_, kDelimiter)) {
    std::string_view rest = std::string_view(line_).substr(kDelimiter.size());
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\r'))
      rest.remove_suffix(1);
    in_delimiter_block_ = rest != ";";
  } else if (!in_delimiter_block_ && (in_section_ || StartsWith(line_, kCreateUser))) {
    in_section_ = true;
    out = FilterAccountLine(line_, options_, &counts_);
  }
  line_.clear();
  state_ = LineState::kStart;
  if (!out)
    return core::Status::Ok();
  if (newline)
    out->push_back('\n');
  return inner_->Write(core::AsBytes(*out));
}

core::Status AccountRestoreFilter::Write(core::ByteView data) {
  size_t pos = 0;
  while (pos < data.size()) {
    const auto* begin = data.data() + pos;
    size_t left = data.size() - pos;
    const auto* nl = static_cast<const uint8_t*>(std::memchr(begin, '\n', left));
    size_t line_part = nl == nullptr ? left : static_cast<size_t>(nl - begin);
    if (state_ == LineState::kPass) {
      size_t n = nl == nullptr ? left : line_part + 1;
      HS_TRY(inner_->Write(core::ByteView(begin, n)));
      pos += n;
      if (nl != nullptr)
        state_ = LineState::kStart;
      continue;
    }
    size_t take = line_part;
    if (state_ == LineState::kStart)
      take = std::min(take, kDecidePrefix - std::min(kDecidePrefix, line_.size()));
    line_.append(reinterpret_cast<const char*>(begin), take);  // NOLINT(*-reinterpret-cast): bytes
    pos += take;
    bool at_newline = nl != nullptr && take == line_part;
    if (state_ == LineState::kStart && (at_newline || line_.size() >= kDecidePrefix))
      HS_TRY(Decide());
    if (state_ == LineState::kBuffer && line_.size() > kMaxAccountLine) {
      return core::Status(core::ErrorCode::kDumpFailed,
                          "an account statement in the dump is longer than " +
                              std::to_string(kMaxAccountLine) + " bytes",
                          "restore with --users skip and recreate the accounts by hand");
    }
    if (at_newline && state_ != LineState::kPass) {
      HS_TRY(EndOfLine(true));
      pos += 1;
    } else if (at_newline) {
      HS_TRY(inner_->Write(core::AsBytes(std::string("\n"))));
      state_ = LineState::kStart;
      pos += 1;
    }
  }
  return core::Status::Ok();
}

core::Status AccountRestoreFilter::Close() {
  if (state_ != LineState::kPass && !line_.empty()) {
    if (state_ == LineState::kStart)
      HS_TRY(Decide());
    if (state_ == LineState::kBuffer)
      HS_TRY(EndOfLine(false));
  }
  return inner_->Close();
}

}  // namespace hasteward::engine::mariadb
