#include <cstdio>

#include "cli/cluster_access.h"
#include "cli/commands.h"
#include "cli/json_messages.h"

namespace hasteward::cli {

namespace {

struct InstanceFlags {
  int ordinal = -1;
};

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
    HS_TRY(ctx.target.platform().StopInstance(ctx.target.cluster(), *inst));
  } else if (verb == "start") {
    HS_TRY(ctx.target.platform().StartInstance(ctx.target.cluster(), *inst));
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
