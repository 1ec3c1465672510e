// `restore --into-sandbox`: binds the restore flags (and, for --until, the pitr layer's restores)
// to jobs::RestoreIntoSandbox and prints how to reach and remove the sandbox.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/json_messages.h"
#include "cli/progress.h"
#include "cli/repo_access.h"
#include "cli/restore_flags.h"
#include "cli/snapshot_filter.h"
#include "jobs/sandbox_restore.h"
#include "platform/registry.h"

namespace hasteward::cli {

namespace {

// `<cluster>-restore` in the cluster's namespace: beside the cluster in `sandbox list`, and
// refused (kAlreadyExists) rather than replaced when an earlier one is still up.
std::string DefaultSandboxName(const std::string& cluster) {
  return cluster + "-restore";
}

// The point-in-time restore into the sandbox: the source's archive (WAL or binlogs), replayed on
// a base of the source; the sandbox is new, so no confirmation and any system identifier.
core::Result<jobs::SandboxPointRestore> PointRestoreFor(const GlobalOptions& g,
                                                        const RestoreFlags& f,
                                                        const ClusterContext& ctx,
                                                        repo::Repository& repo) {
  HS_ASSIGN_OR_RETURN(std::shared_ptr<pitr::Archive> archive,
                      pitr::MakeArchive(ctx.target.engine(), "point-in-time restores (--until)"));
  HS_ASSIGN_OR_RETURN(pitr::PointRestoreRequest request,
                      PointRestoreRequestFor(g, f, ctx, *archive));
  request.confirm_overwrite = true;
  request.force = true;
  request.confirm_rewind = true;  // the sandbox is new: it holds only its own initdb's data
  request.source = ctx.target.cluster();
  return jobs::SandboxPointRestore(
      [archive, request, &repo](const engine::ClusterHandle& sandbox,
                                const std::optional<jobs::InstantRestoreOptions>& instant)
          -> core::Result<jobs::SandboxPointRestored> {
        pitr::PointRestoreRequest served = request;
        served.instant = instant;
        HS_ASSIGN_OR_RETURN(auto r, archive->RestoreToPoint(sandbox, repo, served));
        return jobs::SandboxPointRestored{{r.base, r.bytes}, std::move(r.instant)};
      });
}

void PrintSandbox(const GlobalOptions& g, const platform::Cluster& source,
                  const jobs::SandboxRestoreResult& result) {
  const platform::Cluster& box = result.sandbox;
  const platform::Instance& instance = box.instances.front();
  std::string id = repo::IdToHex(result.restored.snapshot.id);
  std::string connect = platform::sandbox::ConnectCommand(box);
  std::string remove = "hasteward sandbox down -n " + box.ns + " -c " + box.name;
  if (!g.inventory.empty())
    remove += " --inventory " + g.inventory;
  if (g.WantsJson()) {
    nlohmann::json j = {{"restored", id},
                        {"method", result.native ? "native" : "dump"},
                        {"bytes", result.restored.bytes},
                        {"source", {{"cluster", source.name}, {"namespace", source.ns}}},
                        {"sandbox",
                         {{"cluster", box.name},
                          {"namespace", box.ns},
                          {"engine", platform::EngineKindName(box.engine)},
                          {"host", instance.host},
                          {"port", instance.port},
                          {"socket", instance.socket},
                          {"user", box.credentials.user},
                          {"passwordFile", box.credentials.password.file},
                          {"dataDir", instance.data_dir}}},
                        {"connect", connect},
                        {"remove", remove}};
    if (result.instant) {
      j["instant"] = InstantTimingsJson(*result.instant);
    }
    PrintJsonValue(stdout, j);
    return;
  }
  if (g.quiet)
    return;
  std::printf("restored %s snapshot %s (%s) of %s/%s into sandbox %s/%s (%s, running)\n",
              result.native ? "native" : "dump", id.substr(0, 8).c_str(),
              HumanBytes(result.restored.bytes).c_str(), source.ns.c_str(), source.name.c_str(),
              box.ns.c_str(), box.name.c_str(), platform::EngineKindName(box.engine));
  if (result.instant) {
    std::printf("  instant:  writable after %.1f s, hydrated in %.1f s, paused %.1f s\n",
                result.instant->writable_seconds, result.instant->hydrate_seconds,
                result.instant->pause_seconds);
  }
  std::printf("  server:   %s:%d (socket %s)\n", instance.host.c_str(), instance.port,
              instance.socket.c_str());
  std::printf("  user:     %s (password in %s)\n", box.credentials.user.c_str(),
              box.credentials.password.file.c_str());
  std::printf("  connect:  %s\n", connect.c_str());
  std::printf("  remove:   %s\n", remove.c_str());
}

}  // namespace

core::Status RunRestoreIntoSandbox(const GlobalOptions& g, const RestoreFlags& f,
                                   ClusterContext& ctx) {
  HS_TRY(RefuseDryRun(g, "restore --into-sandbox", "it starts a real server",
                      "run 'hasteward get backups' to see what it would restore"));
  const platform::Cluster& source = ctx.target.cluster();
  jobs::SandboxRestoreOptions options;
  options.sandbox.name = f.sandbox_name.empty() ? DefaultSandboxName(source.name) : f.sandbox_name;
  options.sandbox.ns = source.ns;
  options.sandbox.inventory_path = g.inventory;
  jobs::ClusterRestoreOptions& restore = options.restore;
  restore.snapshot = f.snapshot;
  HS_ASSIGN_OR_RETURN(restore.type, SnapshotTypeFor(f.snapshot, f.type, f.instance));
  restore.instance = f.instance;
  HS_ASSIGN_OR_RETURN(restore.method, jobs::ParseSnapshotMethod(f.method));
  HS_ASSIGN_OR_RETURN(restore.engine_options.users, UsersModeFor(ctx, f));
  restore.stamp = jobs::JobStamp(core::SystemClock::Get().NowUnixSeconds());
  HS_ASSIGN_OR_RETURN(auto repo, OpenRepository(g));
  if (f.instant) {
    HS_ASSIGN_OR_RETURN(options.instant, InstantOptionsFor(g, f));
  }
  if (f.point()) {
    HS_ASSIGN_OR_RETURN(options.point_restore, PointRestoreFor(g, f, ctx, *repo));
  }
  ProgressPrinter progress(g, "restore");
  restore.progress = [&progress](uint64_t done, uint64_t total, double secs) {
    progress.Update(done, total, secs);
  };
  auto result = jobs::RestoreIntoSandbox(source, *repo, options);
  progress.Finish();
  HS_TRY(result.status());
  PrintSandbox(g, source, *result);
  return core::Status::Ok();
}

}  // namespace hasteward::cli
