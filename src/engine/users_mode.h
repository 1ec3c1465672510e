// What a restore does with the database accounts (users, roles, grants) a dump carries. See
// docs/restore.md and engine/mariadb/account_filter.h.
#pragma once

#include <memory>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"

namespace hasteward::engine {

enum class UsersMode {
  kSkip,           // restore no account; the target's accounts stay as they are
  kCreateMissing,  // create the accounts the target lacks; existing ones stay as they are
  kReplace,        // recreate every account of the dump (password and grants from the dump)
};

// "skip" | "create-missing" | "replace"; kUsage naming the choices otherwise.
core::Result<UsersMode> ParseUsersMode(const std::string& name);
const char* UsersModeName(UsersMode mode);

// A sink that passes a MariaDB-family dump on without its account statements (the CREATE USER /
// GRANT section and its helper statements), for consumers with no target to check accounts
// against, such as `export`: the result loads into any server as dumps did before accounts were
// backed up, without clobbering that server's own accounts.
std::unique_ptr<core::ByteSink> WithoutAccounts(std::unique_ptr<core::ByteSink> inner);

}  // namespace hasteward::engine
