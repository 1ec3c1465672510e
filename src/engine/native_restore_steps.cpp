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

// $1 data dir: prints the snapshot ID of the unfinished restore recorded beside or inside it,
// if any.
constexpr char kReadUnfinished[] =
    "cat -- \"$1.hasteward-restoring\" 2>/dev/null || "
    "cat -- \"$1/#sql-hasteward-restoring\" 2>/dev/null || true";

// $1 data dir: the record removed (both places).
constexpr char kClearUnfinished[] =
    "rm -f -- \"$1.hasteward-restoring\" \"$1/#sql-hasteward-restoring\"";

// $1 data dir, $2 staging dir. A journal left by a killed swap: with the data directory gone and
// the staging directory there, phase two had not run (finish it); otherwise phase one had not
// moved anything (drop the journal).
constexpr char kCompleteSwap[] =
    "set -e; j=\"$1.hasteward-swap\"; if [ -f \"$j\" ]; then "
    "if [ ! -e \"$1\" ] && [ -d \"$2\" ]; then mv -- \"$2\" \"$1\"; echo \"completed $(cat "
    "\"$j\")\"; "
    "fi; "
    "rm -f -- \"$j\"; fi";

// The swap inside the data directory (SwapPlace::kInsideDataDir). Its two moves, as shell
// functions: every entry of $1 but lost+found (the filesystem's, at the volume's root) and
// HASteward's own "#sql-hasteward-" ones into directory $2; every entry of $2 into $1, then $2
// removed. Each entry's move is one rename within the volume; one already moved is no longer
// listed, so a phase redone after a kill moves only what is left.
constexpr char kInsideMoves[] =
    "move_old() { for e in \"$1\"/* \"$1\"/.[!.]* \"$1\"/..?*; do "
    "{ [ -e \"$e\" ] || [ -L \"$e\" ]; } || continue; "
    "case \"${e##*/}\" in '#sql-hasteward-'*|lost+found) ;; *) mv -- \"$e\" \"$2/\";; esac; done; "
    "}\n"
    "move_new() { for e in \"$2\"/* \"$2\"/.[!.]* \"$2\"/..?*; do "
    "{ [ -e \"$e\" ] || [ -L \"$e\" ]; } || continue; mv -- \"$e\" \"$1/\"; done; "
    "rmdir -- \"$2\"; }\n"
    "phase() { printf '%s\\n%s\\n' \"$2\" \"$3\" > \"$1.tmp\"; mv -- \"$1.tmp\" \"$1\"; }\n";

// $1 data dir, $2 staging dir (inside it), $3 where the old entries are kept, $4 the snapshot ID.
// Phase one inside: what the staged tree holds under HASteward's own names (a kept copy a backup
// carried along) is dropped first, so that no entry of phase two meets one left in place; then
// the journal ("out", kept path) and the unfinished-restore record, each written whole by a
// rename, then the old entries into the kept directory (removed again when there were none).
constexpr char kSwapOutInside[] =
    "set -e; j=\"$1/#sql-hasteward-swap\"; "
    "[ ! -e \"$j\" ] || { echo 'an interrupted swap is pending' >&2; exit 1; }; "
    "rm -rf -- \"$2\"/'#sql-hasteward-'* \"$2/lost+found\"; "
    "k=\"$3\"; n=1; while [ -e \"$k\" ]; do k=\"$3.$n\"; n=$((n + 1)); done; "
    "phase \"$j\" out \"$k\"; "
    "printf '%s\\n' \"$4\" > \"$1/#sql-hasteward-restoring.tmp\"; "
    "mv -- \"$1/#sql-hasteward-restoring.tmp\" \"$1/#sql-hasteward-restoring\"; "
    "mkdir -m 700 -- \"$k\"; move_old \"$1\" \"$k\"; "
    "if rmdir -- \"$k\" 2>/dev/null; then :; else echo \"kept $k\"; fi";

// $1 data dir, $2 staging dir. Phase two inside: the journal says so, the staged entries move in,
// the journal is removed.
constexpr char kSwapInInside[] =
    "set -e; j=\"$1/#sql-hasteward-swap\"; { read -r p; read -r k; } < \"$j\"; "
    "phase \"$j\" in \"$k\"; move_new \"$1\" \"$2\"; rm -f -- \"$j\"";

// $1 data dir, $2 staging dir. A journal a killed swap left inside: with the staging directory
// still there, the phase it names is redone and the other follows (phase one's kept directory is
// made again if the kill came before it was); without it, only the journal's removal was left.
constexpr char kCompleteSwapInside[] =
    "set -e; j=\"$1/#sql-hasteward-swap\"; [ -f \"$j\" ] || exit 0; "
    "{ read -r p; read -r k; } < \"$j\"; "
    "if [ -d \"$2\" ]; then "
    "if [ \"$p\" = out ]; then mkdir -p -m 700 -- \"$k\"; move_old \"$1\" \"$k\"; "
    "phase \"$j\" in \"$k\"; fi; "
    "move_new \"$1\" \"$2\"; rmdir -- \"$k\" 2>/dev/null || true; echo \"completed $k\"; fi; "
    "rm -f -- \"$j\"";

// $1 the data directory: exits 0 when it is a mount point (listed in mountinfo, whose fifth
// field is the mount point), 1 when not, 2 when it cannot tell. Shell builtins only: a server's
// image need not carry util-linux. A path with a space (escaped in mountinfo) never matches:
// that answers "not a mount point", and the swap beside it then fails at its first rename.
// A data directory that does not exist (a fresh instance, or one a killed swap beside it moved
// away) is no mount point.
constexpr char kMountPointScript[] =
    "[ -e \"$1\" ] || exit 1\n"
    "d=$(cd \"$1\" 2>/dev/null && pwd -P) || exit 2\n"
    "[ -r /proc/self/mountinfo ] || exit 2\n"
    "while read -r _ _ _ _ point _; do [ \"$point\" = \"$d\" ] && exit 0; done "
    "< /proc/self/mountinfo\n"
    "exit 1\n";

// $1 data dir, then paths relative to it to delete. The data directory moved in beside is the
// staging directory this process made: mode 700, as PostgreSQL requires.
constexpr char kSettle[] =
    "set -e; d=\"$1\"; shift; chmod 700 \"$d\"; for p in \"$@\"; do rm -f -- \"$d/$p\"; done";

// The same inside: the data directory is the volume's root, whose owner and mode are the
// volume's (on a real mariadb-operator pod another user's, group-writable through the pod's
// fsGroup: chmod is refused there) and served the server before the restore as they are.
constexpr char kSettleInside[] =
    "set -e; d=\"$1\"; shift; for p in \"$@\"; do rm -f -- \"$d/$p\"; done";

// The scripts of one swap place.
struct SwapScripts {
  std::string complete;
  std::string swap_out;
  std::string swap_in;
  std::string settle;
};

SwapScripts ScriptsFor(SwapPlace place) {
  if (place == SwapPlace::kInsideDataDir) {
    return {std::string(kInsideMoves) + kCompleteSwapInside,
            std::string(kInsideMoves) + kSwapOutInside, std::string(kInsideMoves) + kSwapInInside,
            kSettleInside};
  }
  return {kCompleteSwap, kSwapOut, kSwapIn, kSettle};
}

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

core::Status ChooseSwapPlace(platform::Platform& platform, const platform::Cluster& cluster,
                             NativeRestorePlan& plan) {
  const platform::Instance& target = plan.target;
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, target));
  HS_ASSIGN_OR_RETURN(core::RunOutput ran, handle->Run({"sh", "-c", kMountPointScript,
                                                        "hasteward-mountpoint", target.data_dir}));
  switch (ran.status.exit_code) {
    case 0:
      plan.swap_place = SwapPlace::kInsideDataDir;
      plan.staging_dir = target.data_dir + "/#sql-hasteward-restore";
      core::LogInfo("'" + target.data_dir + "' of '" + target.name +
                    "' is its volume's mount point: the restore stages and keeps inside it");
      return core::Status::Ok();
    case 1: break;
    default:
      core::LogWarn("could not tell whether '" + target.data_dir + "' of '" + target.name +
                    "' is a mount point; the restore stages beside it");
  }
  plan.swap_place = SwapPlace::kBesideDataDir;
  plan.staging_dir = target.data_dir + ".hasteward-restore";
  return core::Status::Ok();
}

std::string KeptDirFor(const NativeRestorePlan& plan, const std::string& stamp) {
  return plan.swap_place == SwapPlace::kInsideDataDir
             ? plan.target.data_dir + "/#sql-hasteward-replaced-" + stamp
             : plan.target.data_dir + ".hasteward-replaced-" + stamp;
}

core::Status MakeStagingDirectory(platform::Platform& platform, const platform::Cluster& cluster,
                                  const NativeRestorePlan& plan) {
  const platform::Instance& target = plan.target;
  HS_ASSIGN_OR_RETURN(std::string completed,
                      RunScript(platform, cluster, target,
                                {.what = "complete an interrupted swap",
                                 .text = ScriptsFor(plan.swap_place).complete,
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
  const SwapScripts scripts = ScriptsFor(plan.swap_place);
  HS_ASSIGN_OR_RETURN(
      std::string out,
      RunScript(platform, cluster, target,
                {.what = "move the data directory aside",
                 .text = scripts.swap_out,
                 .args = {target.data_dir, plan.staging_dir, kept, plan.snapshot_id}}));
  core::Failpoint("native-restore-swap");
  HS_TRY(RunScript(platform, cluster, target,
                   {.what = "move the restored data into place",
                    .text = scripts.swap_in,
                    .args = {target.data_dir, plan.staging_dir}})
             .status());
  std::vector<std::string> args = {target.data_dir};
  args.insert(args.end(), remove.begin(), remove.end());
  HS_TRY(RunScript(
             platform, cluster, target,
             {.what = "settle the restored data directory", .text = scripts.settle, .args = args})
             .status());
  if (!out.starts_with("kept "))
    return std::optional<std::string>();
  std::string kept_at = out.substr(5);
  while (!kept_at.empty() && kept_at.back() == '\n')
    kept_at.pop_back();
  return std::optional<std::string>(kept_at);
}

}  // namespace hasteward::engine
