// `restore --instant`: binds the restore flags to jobs::RestoreNativeInstant and reports its
// events (writable, hydrated, local) as they happen, since the command stays in the foreground
// serving the snapshot mount until the instance runs on local disk (docs/instant-restore.md).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/json_messages.h"
#include "cli/repo_access.h"
#include "cli/restore_flags.h"
#include "cli/snapshot_filter.h"
#include "jobs/instant_restore.h"
#include "jobs/jobs.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::cli {

namespace {

const char* EventName(jobs::InstantEvent event) {
  switch (event) {
    case jobs::InstantEvent::kWritable: return "writable";
    case jobs::InstantEvent::kHydrated: return "hydrated";
    case jobs::InstantEvent::kLocal: return "local";
  }
  return "unknown";
}

void PrintEvent(const GlobalOptions& g, jobs::InstantEvent event, const std::string& instance) {
  if (g.WantsJson()) {
    PrintJsonValue(stdout, nlohmann::json{{"event", EventName(event)}, {"instance", instance}});
  } else if (!g.quiet) {
    switch (event) {
      case jobs::InstantEvent::kWritable:
        std::printf(
            "'%s' runs on the snapshot and accepts writes; hydrating (keep this command "
            "running: it serves the snapshot until the instance moved to local disk)\n",
            instance.c_str());
        break;
      case jobs::InstantEvent::kHydrated:
        std::printf("hydrated; moving '%s' to local disk (a short restart)\n", instance.c_str());
        break;
      case jobs::InstantEvent::kLocal:
        std::printf("'%s' runs on its local data directory; the snapshot mount is gone\n",
                    instance.c_str());
        break;
    }
  }
  std::fflush(stdout);
}

core::Result<repo::Snapshot> SelectNative(const GlobalOptions& g, const RestoreFlags& f,
                                          const ClusterContext& ctx, repo::Repository& r) {
  jobs::ClusterRestoreOptions select;
  select.snapshot = f.snapshot;
  HS_ASSIGN_OR_RETURN(select.type, SnapshotTypeFor(f.snapshot, f.type, f.instance));
  select.method = jobs::SnapshotMethod::kNative;
  (void)g;
  return jobs::SelectRestoreSnapshot(r, ctx.target.cluster(), select);
}

}  // namespace

core::Result<jobs::InstantRestoreOptions> InstantOptionsFor(const GlobalOptions& g,
                                                            const RestoreFlags& f) {
  // -i selects a diverged capture, and captures are dumps (jobs/discard_gate.h): nothing a mount
  // could serve. A point-in-time restore (--until*) serves its native base and replays onto it.
  if (f.instance >= 0) {
    return core::Usage("--instant serves native snapshots; -i selects a diverged capture, a dump",
                       "drop --instant to load the capture, or -i to serve a native backup");
  }
  if (!f.method.empty() && f.method != "native") {
    return core::Usage("--instant serves native snapshots only",
                       "drop --method " + f.method + " or --instant");
  }
  jobs::InstantRestoreOptions options;
  options.on_event = [&g](jobs::InstantEvent event, const std::string& instance) {
    PrintEvent(g, event, instance);
  };
  return options;
}

core::Status RunInstantRestore(const GlobalOptions& g, const RestoreFlags& f, ClusterContext& ctx) {
  HS_ASSIGN_OR_RETURN(jobs::InstantRestoreOptions options, InstantOptionsFor(g, f));
  HS_TRY(RefuseDryRun(g, "restore --instant", "it mounts the snapshot and starts the instance",
                      "run 'hasteward restore --dry-run' without --instant to see the plan"));
  HS_ASSIGN_OR_RETURN(auto r, OpenRepository(g));
  // Shared for as long as the snapshot is served: prune must not delete the packs it reads.
  HS_ASSIGN_OR_RETURN(auto lock, repo::RepoLock::Acquire(*r, repo::LockOptions{}));
  HS_ASSIGN_OR_RETURN(repo::Snapshot snapshot, SelectNative(g, f, ctx, *r));
  HS_TRY(r->LoadIndex());
  options.native.confirm_overwrite = f.confirm_overwrite;
  options.native.force = f.force;
  options.native.confirm_rewind = f.confirm_rewind;
  options.native.heal.stamp = jobs::JobStamp(core::SystemClock::Get().NowUnixSeconds());
  options.native.before_first_write = ArchiveRecordOfRestore(ctx, *r);
  HS_ASSIGN_OR_RETURN(jobs::InstantRestoreResult result,
                      jobs::RestoreNativeInstant(ctx.target, *r, snapshot, options));
  std::string id = repo::IdToHex(snapshot.id);
  if (g.WantsJson()) {
    PrintJsonValue(stdout, nlohmann::json{{"restored", id},
                                          {"instance", result.instance},
                                          {"instant", true},
                                          {"resumed", result.resumed},
                                          {"writable_seconds", result.writable_seconds},
                                          {"hydrate_seconds", result.hydrate_seconds},
                                          {"pause_seconds", result.pause_seconds},
                                          {"bytes", result.hydrated_bytes}});
  } else if (!g.quiet) {
    std::printf(
        "restored snapshot %s into '%s' instantly (writable after %.1f s, hydrated in "
        "%.1f s, paused %.1f s)\n",
        id.substr(0, 8).c_str(), result.instance.c_str(), result.writable_seconds,
        result.hydrate_seconds, result.pause_seconds);
  }
  return lock->Release();
}

}  // namespace hasteward::cli
