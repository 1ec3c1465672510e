#include "engine/postgres/synchronous_primary.h"

#include "engine/client_tools.h"

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
  return names;
}

}  // namespace hasteward::engine::postgres
