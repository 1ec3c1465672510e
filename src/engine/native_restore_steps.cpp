#include "engine/native_restore_steps.h"

#include <string>

#include "engine/repair_exec.h"

namespace hasteward::engine {
namespace {

constexpr char kMakeStaging[] = "rm -rf -- \"$1\" && mkdir -m 700 -- \"$1\"";

}  // namespace

core::Status CompleteNativeRestorePlan(const platform::Cluster& cluster,
                                       const platform::Instance& target, std::string_view how,
                                       const NativeRestoreOptions& options,
                                       NativeRestorePlan& plan) {
  std::string others;
  for (const auto& instance : cluster.instances) {
    if (instance.name != target.name) {
      plan.rebuild.push_back(instance);
      others += (others.empty() ? "'" : ", '") + instance.name + "'";
    }
  }
  plan.reason = "data directory of '" + target.name + "' (" + target.data_dir + ")" +
                (others.empty() ? "" : "; then " + others + " " + std::string(how) + " from it");
  if (!options.confirm_overwrite) {
    return core::Status(core::ErrorCode::kConfirmationRequired,
                        "a native restore replaces the " + plan.reason,
                        "check the target, then confirm the overwrite (--yes or "
                        "--confirm-overwrite) to proceed");
  }
  return core::Status::Ok();
}

core::Status MakeStagingDirectory(platform::Platform& platform, const platform::Cluster& cluster,
                                  const NativeRestorePlan& plan) {
  return RunScript(platform, cluster, plan.target,
                   {.what = "create the staging directory",
                    .text = kMakeStaging,
                    .args = {plan.staging_dir}})
      .status();
}

}  // namespace hasteward::engine
