#include "engine/native_restore_steps.h"

#include <string>

#include "core/failpoint.h"
#include "core/log.h"
#include "engine/repair_exec.h"

namespace hasteward::engine {
namespace {

constexpr char kMakeStaging[] = "rm -rf -- \"$1\" && mkdir -m 700 -- \"$1\"";

// $1 data dir, $2 staging dir, $3 where the old data dir is kept, $4 the snapshot ID. Phase one:
// the journal and the unfinished-restore record (each written whole by a rename), then the old
// data directory aside; prints "kept <path>". The record comes before the rename: from the first
// rename on, the data directory (or its absence) is this restore's doing, which the rerun's gate
// must not take for the cluster's newer data (a base whose WAL end cannot be read is "unknown").
// Same parent directory: each mv is one rename(2). A kept path that exists (an earlier restore of
// the same second) gets a ".N" suffix: `mv` into an existing directory would nest the data inside
// it.
constexpr char kSwapOut[] =
    "set -e; [ ! -e \"$1.hasteward-swap\" ] || { echo 'an interrupted swap is pending' >&2; exit "
    "1; }; "
    "k=\"$3\"; n=1; while [ -e \"$k\" ]; do k=\"$3.$n\"; n=$((n + 1)); done; "
    "printf '%s\\n' \"$k\" > \"$1.hasteward-swap.tmp\"; "
    "mv -- \"$1.hasteward-swap.tmp\" \"$1.hasteward-swap\"; "
    "printf '%s\\n' \"$4\" > \"$1.hasteward-restoring.tmp\"; "
    "mv -- \"$1.hasteward-restoring.tmp\" \"$1.hasteward-restoring\"; "
    "if [ -e \"$1\" ]; then mv -- \"$1\" \"$k\"; echo \"kept $k\"; fi";

// $1 data dir, $2 staging dir. Phase two: the staging directory into place, the journal removed.
constexpr char kSwapIn[] = "set -e; mv -- \"$2\" \"$1\"; rm -f -- \"$1.hasteward-swap\"";

// $1 data dir: prints the snapshot ID of the unfinished restore recorded beside it, if any.
constexpr char kReadUnfinished[] = "cat -- \"$1.hasteward-restoring\" 2>/dev/null || true";

// $1 data dir: the record removed.
constexpr char kClearUnfinished[] = "rm -f -- \"$1.hasteward-restoring\"";

// $1 data dir, $2 staging dir. A journal left by a killed swap: with the data directory gone and
// the staging directory there, phase two had not run (finish it); otherwise phase one had not
// moved anything (drop the journal).
constexpr char kCompleteSwap[] =
    "set -e; j=\"$1.hasteward-swap\"; if [ -f \"$j\" ]; then "
    "if [ ! -e \"$1\" ] && [ -d \"$2\" ]; then mv -- \"$2\" \"$1\"; echo \"completed $(cat "
    "\"$j\")\"; "
    "fi; "
    "rm -f -- \"$j\"; fi";

// $1 data dir, then paths relative to it to delete.
constexpr char kSettle[] =
    "set -e; d=\"$1\"; shift; chmod 700 \"$d\"; for p in \"$@\"; do rm -f -- \"$d/$p\"; done";

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
  const platform::Instance& target = plan.target;
  HS_ASSIGN_OR_RETURN(std::string completed,
                      RunScript(platform, cluster, target,
                                {.what = "complete an interrupted swap",
                                 .text = kCompleteSwap,
                                 .args = {target.data_dir, plan.staging_dir}}));
  if (completed.starts_with("completed")) {
    std::string kept = completed.substr(std::string_view("completed ").size());
    while (!kept.empty() && kept.back() == '\n')
      kept.pop_back();
    core::LogWarn("completed the swap a stopped restore left half done: '" + target.data_dir +
                  "' holds the tree it had restored and verified; the previous data directory "
                  "of '" +
                  target.name + "' is kept at '" + kept + "'");
  }
  return RunScript(platform, cluster, plan.target,
                   {.what = "create the staging directory",
                    .text = kMakeStaging,
                    .args = {plan.staging_dir}})
      .status();
}

core::Result<std::vector<std::string>> StopUnfinishedRestores(platform::Platform& platform,
                                                              const platform::Cluster& cluster,
                                                              const std::string& snapshot_id) {
  std::vector<std::string> unfinished;
  for (const auto& instance : cluster.instances) {
    if (instance.data_dir.empty())
      continue;
    HS_ASSIGN_OR_RETURN(std::string recorded, RunScript(platform, cluster, instance,
                                                        {.what = "look for an unfinished restore",
                                                         .text = kReadUnfinished,
                                                         .args = {instance.data_dir}}));
    if (recorded.substr(0, recorded.find('\n')) != snapshot_id)
      continue;
    unfinished.push_back(instance.name);
    HS_ASSIGN_OR_RETURN(bool running, platform.IsRunning(cluster, instance));
    if (!running)
      continue;
    core::LogWarn("stopping '" + instance.name +
                  "': it runs on the unfinished restore of snapshot " + snapshot_id.substr(0, 8) +
                  " that a stopped run left; the restore starts over and keeps its data directory");
    HS_TRY(platform.StopInstance(cluster, instance).Wrap("stop '" + instance.name + "'"));
  }
  return unfinished;
}

core::Status ClearUnfinishedRestores(platform::Platform& platform,
                                     const platform::Cluster& cluster) {
  for (const auto& instance : cluster.instances) {
    if (instance.data_dir.empty())
      continue;
    HS_TRY(RunScript(platform, cluster, instance,
                     {.what = "clear the unfinished-restore record",
                      .text = kClearUnfinished,
                      .args = {instance.data_dir}})
               .status());
  }
  return core::Status::Ok();
}

core::Result<std::optional<std::string>> SwapInStaging(platform::Platform& platform,
                                                       const platform::Cluster& cluster,
                                                       const NativeRestorePlan& plan,
                                                       const std::string& kept,
                                                       const std::vector<std::string>& remove) {
  const platform::Instance& target = plan.target;
  HS_ASSIGN_OR_RETURN(
      std::string out,
      RunScript(platform, cluster, target,
                {.what = "move the data directory aside",
                 .text = kSwapOut,
                 .args = {target.data_dir, plan.staging_dir, kept, plan.snapshot_id}}));
  core::Failpoint("native-restore-swap");
  HS_TRY(RunScript(platform, cluster, target,
                   {.what = "move the restored data into place",
                    .text = kSwapIn,
                    .args = {target.data_dir, plan.staging_dir}})
             .status());
  std::vector<std::string> args = {target.data_dir};
  args.insert(args.end(), remove.begin(), remove.end());
  HS_TRY(RunScript(platform, cluster, target,
                   {.what = "settle the restored data directory", .text = kSettle, .args = args})
             .status());
  if (!out.starts_with("kept "))
    return std::optional<std::string>();
  std::string kept_at = out.substr(5);
  while (!kept_at.empty() && kept_at.back() == '\n')
    kept_at.pop_back();
  return std::optional<std::string>(kept_at);
}

}  // namespace hasteward::engine
