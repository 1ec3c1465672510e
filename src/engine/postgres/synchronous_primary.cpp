#include "engine/postgres/synchronous_primary.h"

#include <cctype>

#include "engine/client_tools.h"
#include "engine/wal_stream.h"

namespace hasteward::engine::postgres {

core::Result<std::string> RequireSynchronousPrimary(platform::InstanceHandle& old_primary_handle) {
  const platform::Instance& old_primary = old_primary_handle.instance();
  auto out =
      RunOnInstance(old_primary_handle, {ToolPath(old_primary, "postgres"), "-D",
                                         old_primary.data_dir, "-C", "synchronous_standby_names"});
  if (!out.ok()) {
    return core::Status(
        core::ErrorCode::kSafetyStop,
        "--require-sync: cannot read synchronous_standby_names of the old primary '" +
            old_primary.name + "': " + out.status().message(),
        "nothing proves its commits waited for a standby; --force promotes anyway");
  }
  std::string names = *out;
  while (!names.empty() && (names.back() == '\n' || names.back() == ' '))
    names.pop_back();
  if (names.empty()) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "--require-sync: the old primary '" + old_primary.name +
                            "' committed asynchronously (synchronous_standby_names is empty)",
                        "a commit it acknowledged may be on no standby; --force promotes the most "
                        "advanced standby anyway");
  }
  if (WalReceiverMayAcknowledge(names)) {
    return core::Status(
        core::ErrorCode::kSafetyStop,
        "--require-sync: the old primary '" + old_primary.name +
            "' waited for HASteward's WAL "
            "receiver (synchronous_standby_names = '" +
            names +
            "'): a commit it acknowledged is in the repository, not necessarily on a standby",
        "activate from the repository ('hasteward standby activate', which replays the "
        "receiver's stored WAL), or --force to promote the most advanced standby anyway (the "
        "repository's later commits stay on the old timeline)");
  }
  return names;
}

bool WalReceiverMayAcknowledge(const std::string& synchronous_standby_names) {
  // Split on what is not part of a name; a quoted name keeps its case, others compare folded.
  std::string token;
  auto matches = [&] {
    return token == kWalReceiverName;
  };
  bool quoted = false;
  for (char c : synchronous_standby_names + ",") {
    if (c == '"') {
      quoted = !quoted;
      continue;
    }
    const bool part = quoted || std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
                      c == '-' || c == '.' || c == '*';
    if (part) {
      token.push_back(quoted ? c : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      continue;
    }
    if (matches()) {
      return true;
    }
    token.clear();
  }
  return false;
}

}  // namespace hasteward::engine::postgres
