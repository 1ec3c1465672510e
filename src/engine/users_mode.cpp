#include "engine/users_mode.h"

#include "engine/mariadb/account_filter.h"

namespace hasteward::engine {

core::Result<UsersMode> ParseUsersMode(const std::string& name) {
  for (UsersMode m : {UsersMode::kSkip, UsersMode::kCreateMissing, UsersMode::kReplace}) {
    if (name == UsersModeName(m))
      return m;
  }
  return core::Usage("unknown --users '" + name + "'",
                     "use skip, create-missing (the default) or replace");
}

const char* UsersModeName(UsersMode mode) {
  switch (mode) {
    case UsersMode::kSkip: return "skip";
    case UsersMode::kCreateMissing: return "create-missing";
    case UsersMode::kReplace: return "replace";
  }
  return "create-missing";
}

std::unique_ptr<core::ByteSink> WithoutAccounts(std::unique_ptr<core::ByteSink> inner) {
  mariadb::AccountFilterOptions options;
  options.mode = UsersMode::kSkip;
  return std::make_unique<mariadb::AccountRestoreFilter>(std::move(inner), std::move(options));
}

}  // namespace hasteward::engine
