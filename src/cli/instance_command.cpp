#include <cstdio>

#include "cli/cluster_access.h"
#include "cli/commands.h"
#include "cli/json_messages.h"
#include "cli/repo_access.h"
#include "core/clock.h"
#include "dr/demotion_marker.h"

namespace hasteward::cli {

namespace {

struct InstanceFlags {
  int ordinal = -1;
};

// `instance stop` is the planned fence (docs/standby.md): with a repository given, an archiving
// primary first archives the segment its writes are in, and once the stop proves nothing was
// written past it, a demotion marker in the repository tells a DR standby where the source
// finished. Without a repository, or when nothing is proven, it only stops (a standby's end then
// stays "unknown", which is always safe). A switchover writes no marker: its cluster goes on
// writing on the promoted instance, so "the writes end here" would be false at once.
core::Status StopAndMark(const GlobalOptions& g, ClusterContext& ctx,
                         const platform::Instance& instance) {
  engine::Archiving* archiving = ctx.target.engine().archiving();
  HS_ASSIGN_OR_RETURN(bool running,
                      ctx.target.platform().IsRunning(ctx.target.cluster(), instance));
  if (g.backups_path.empty() || archiving == nullptr || !running) {
    return ctx.target.platform().StopInstance(ctx.target.cluster(), instance);
  }
  HS_ASSIGN_OR_RETURN(engine::ArchivedStop stop,
                      archiving->StopArchived(ctx.target.platform(), ctx.target.cluster(), instance));
  if (!stop.proven) {
    std::fprintf(stderr, "%s: no demotion marker written: %s\n", instance.name.c_str(),
                 stop.why_not.c_str());
    return core::Status::Ok();
  }
  const platform::Cluster& cluster = ctx.target.cluster();
  dr::DemotionMarker marker;
  marker.engine = platform::EngineKindName(cluster.engine);
  marker.namespace_name = cluster.ns;
  marker.cluster = cluster.name;
  marker.position_kind = repo::CursorPositionKind::kWalSegment;
  marker.position = stop.last_segment;
  marker.end = stop.end;
  marker.written_unix = core::SystemClock::Get().NowUnixSeconds();
  marker.writer = "hasteward instance stop of '" + instance.name + "'";
  HS_ASSIGN_OR_RETURN(auto repository, OpenRepository(g));
  // The instance is already stopped: a failed write leaves the fence in place and says so.
  core::Status saved = dr::SaveDemotionMarker(*repository, cluster, marker);
  if (!saved.ok()) {
    return saved.WithHint("the instance is stopped; without the marker a standby's activation "
                          "reports an unknown end");
  }
  std::fprintf(stderr, "%s: demotion marker written: writes end at %s, %s\n",
               instance.name.c_str(), marker.end.c_str(), marker.position.c_str());
  return core::Status::Ok();
}

// `instance start` lifts a fence: with a repository given, the cluster's demotion marker is
// removed first, since the started server may take writes that its archive holds only once a
// segment completes, and until then a standby would read the marker as where the source finished.
core::Status StartAndUnmark(const GlobalOptions& g, ClusterContext& ctx,
                            const platform::Instance& instance) {
  if (!g.backups_path.empty() && ctx.target.engine().archiving() != nullptr) {
    HS_ASSIGN_OR_RETURN(auto repository, OpenRepository(g));
    const std::string name = dr::DemotionMarkerObjectName(ctx.target.cluster());
    core::Status removed =
        repository->backend().Remove(storage::Handle{storage::FileType::kStandbyCursor, name});
    if (!removed.ok() && removed.code() != core::ErrorCode::kNotFound) {
      // Not started: a marker left behind would claim an end this server is about to pass.
      return removed.Wrap("remove demotion marker 'hasteward/standby-cursors/" + name + "'")
          .WithHint("fix the repository access, or start without --backups-path");
    }
  }
  return ctx.target.platform().StartInstance(ctx.target.cluster(), instance);
}

core::Status RunInstance(const GlobalOptions& g, const InstanceFlags& f, const std::string& verb) {
  if (verb != "status") {
    HS_TRY(RefuseDryRun(g, "instance " + verb, "it acts at once",
                        "run 'hasteward instance status' to see the instance's state"));
  }
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  const platform::Instance* inst = ctx.target.cluster().FindInstance(f.ordinal);
  if (inst == nullptr) {
    return core::NotFound("instance " + std::to_string(f.ordinal) + " of '" +
                              ctx.target.cluster().ns + "/" + ctx.target.cluster().name +
                              "' does not exist",
                          "instances are numbered from 0; see 'hasteward sandbox list'");
  }
  if (verb == "stop") {
    HS_TRY(StopAndMark(g, ctx, *inst));
  } else if (verb == "start") {
    HS_TRY(StartAndUnmark(g, ctx, *inst));
  }
  HS_ASSIGN_OR_RETURN(bool running, ctx.target.platform().IsRunning(ctx.target.cluster(), *inst));
  if (g.WantsJson()) {
    PrintJsonLine(stdout, InstanceStateMessage{.instance = inst->name, .running = running});
  } else {
    std::printf("%s: %s\n", inst->name.c_str(), running ? "running" : "stopped");
  }
  return core::Status::Ok();
}

}  // namespace

void RegisterInstanceCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto flags = std::make_shared<InstanceFlags>();
  auto* cmd = app.add_subcommand("instance", "Start, stop or show one instance of a cluster");
  cmd->require_subcommand(1);
  for (const char* verb : {"start", "stop", "status"}) {
    auto* sub = cmd->add_subcommand(verb, std::string(verb) + " instance -i N of -c CLUSTER");
    sub->add_option("-i,--instance", flags->ordinal, "Instance ordinal (env HASTEWARD_INSTANCE)")
        ->envname("HASTEWARD_INSTANCE")
        ->required();
    std::string v = verb;
    sub->callback([&g, &out, flags, v] { out.status = RunInstance(g, *flags, v); });
  }
}

}  // namespace hasteward::cli
