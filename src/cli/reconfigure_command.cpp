// `hasteward reconfigure -e mariadb|galera|cnpg -c -n --set name=value... [--replication-mode
// async|semisync] [--semisync-wait-point after_sync|after_commit] [--restart] [--dry-run]`:
// server variables changed at runtime and persisted on every instance (engine/reconfigure.h).
// The plan is printed first; --dry-run stops there.
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/cluster_access.h"
#include "cli/commands.h"
#include "engine/reconfigure.h"

namespace hasteward::cli {

namespace {

struct ReconfigureFlags {
  std::vector<std::string> settings;
  std::string replication_mode;
  std::string wait_point;
  bool restart = false;
};

core::Result<engine::ReconfigureRequest> MakeRequest(const ReconfigureFlags& flags,
                                                     const GlobalOptions& g) {
  engine::ReconfigureRequest request;
  for (const auto& text : flags.settings) {
    HS_ASSIGN_OR_RETURN(engine::SettingRequest setting, engine::ParseSettingRequest(text));
    request.settings.push_back(std::move(setting));
  }
  if (!flags.replication_mode.empty()) {
    HS_ASSIGN_OR_RETURN(request.replication_mode,
                        engine::ParseReplicationMode(flags.replication_mode));
  }
  if (!flags.wait_point.empty()) {
    HS_ASSIGN_OR_RETURN(request.wait_point, engine::ParseSemisyncWaitPoint(flags.wait_point));
  }
  request.restart = flags.restart;
  bool quiet = g.quiet;
  request.log = [quiet](const std::string& line) {
    if (!quiet)
      std::fprintf(stderr, "reconfigure: %s\n", line.c_str());
  };
  return request;
}

void PrintPlan(const GlobalOptions& g, const engine::ReconfigurePlan& plan, bool applied) {
  if (g.WantsJson()) {
    nlohmann::ordered_json j;
    j["dry_run"] = !applied;
    j["restart"] = plan.restart;
    auto changes = nlohmann::ordered_json::array();
    for (const auto& instance : plan.instances) {
      for (const auto& change : instance.changes) {
        changes.push_back({{"instance", instance.instance.name},
                           {"name", change.name},
                           {"action", engine::ChangeActionName(change.action)},
                           {"running", change.running},
                           {"persisted", change.persisted},
                           {"value", change.value}});
      }
    }
    j["changes"] = std::move(changes);
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("%s plan:\n", applied ? "reconfigure" : "dry-run");
  for (const auto& line : plan.Describe())
    std::printf("  %s\n", line.c_str());
  std::printf("%s\n", !applied       ? "dry-run: nothing changed"
                      : plan.Empty() ? "nothing to change"
                                     : "applied");
}

core::Status RunReconfigure(const GlobalOptions& g, const ReconfigureFlags& flags) {
  // Flags are checked before the cluster is touched.
  HS_ASSIGN_OR_RETURN(engine::ReconfigureRequest request, MakeRequest(flags, g));
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  engine::Reconfigure* reconfigure = ctx.target.engine().reconfigure();
  if (reconfigure == nullptr)
    return engine::Unsupported(ctx.target.engine(), "reconfigure");
  HS_ASSIGN_OR_RETURN(
      engine::ReconfigurePlan plan,
      reconfigure->PlanReconfigure(ctx.target.platform(), ctx.target.cluster(), request));
  if (!g.dry_run && !plan.Empty()) {
    HS_TRY(
        reconfigure->ApplyReconfigure(ctx.target.platform(), ctx.target.cluster(), plan, request));
  }
  PrintPlan(g, plan, !g.dry_run);
  return core::Status::Ok();
}

}  // namespace

void RegisterReconfigureCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto flags = std::make_shared<ReconfigureFlags>();
  auto* cmd = app.add_subcommand(
      "reconfigure", "Change server variables at runtime and persist them on every instance");
  cmd->add_option("--set", flags->settings,
                  "name=value of a server variable (repeatable); applied at runtime where the "
                  "server allows it and persisted so it survives a restart");
  cmd->add_option("--replication-mode", flags->replication_mode,
                  "async or semisync: the semi-sync variables of every instance (mariadb) or "
                  "synchronous_standby_names 'ANY 1 (*)' / '' (cnpg)");
  cmd->add_option("--semisync-wait-point", flags->wait_point,
                  "after_sync (default: an acknowledged commit is on a replica) or after_commit "
                  "(mariadb only)");
  cmd->add_flag("--restart", flags->restart,
                "Allow static variables: persist them and restart the instances one at a time "
                "(replicas first, then the primary)");
  cmd->callback([&g, &out, flags] { out.status = RunReconfigure(g, *flags); });
}

}  // namespace hasteward::cli
