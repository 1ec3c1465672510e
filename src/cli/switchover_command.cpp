// `hasteward switchover -e -c -n [--to NAME] [--timeout D] [--dry-run] [--json]` and
// `hasteward failover ... [--to NAME] [--force] [--require-sync]`: plan (printed by --dry-run,
// which changes nothing), then run the engine's switchover / failover and print each completed step
// with its time and the total; an abort names the failed step (JSON "failed_step") and exits with
// its failure class's code (docs/exit-codes.md). Every run but a dry run is recorded for `serve`
// (jobs/switchover_record.h).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/cluster_access.h"
#include "cli/commands.h"
#include "cli/duration_flag.h"
#include "core/clock.h"
#include "core/log.h"
#include "jobs/switchover_job.h"
#include "jobs/switchover_record.h"
#include "platform/state_dir.h"

namespace hasteward::cli {

namespace {

struct SwitchoverFlags {
  std::string to;
  std::string timeout = "30s";
  bool force = false;
  bool require_sync = false;
};

double Seconds(std::chrono::milliseconds elapsed) {
  return static_cast<double>(elapsed.count()) / 1000.0;
}

nlohmann::ordered_json ReportJson(const engine::ClusterHandle& target,
                                  const jobs::SwitchoverJobResult& result) {
  const engine::SwitchoverReport& report = result.report;
  nlohmann::ordered_json j;
  j["kind"] = jobs::SwitchoverKindName(result.kind);
  j["cluster"] = target.cluster().name;
  j["namespace"] = target.cluster().ns;
  j["dry_run"] = result.dry_run;
  j["ok"] = report.status.ok();
  j["old_primary"] = report.plan.old_primary.name;
  j["candidate"] = report.plan.candidate.name;
  j["others"] = nlohmann::json::array();
  for (const auto& other : report.plan.others)
    j["others"].push_back(other.name);
  j["reason"] = report.plan.reason;
  j["plan"] = report.plan.steps;
  j["steps"] = nlohmann::json::array();
  for (const auto& step : report.steps) {
    j["steps"].push_back({{"step", engine::SwitchoverStepName(step.step)},
                          {"seconds", Seconds(step.elapsed)},
                          {"detail", step.detail}});
  }
  j["total_seconds"] = Seconds(report.total);
  j["promoted_at"] = report.promoted_at;
  if (report.failed_step) {
    j["failed_step"] = engine::SwitchoverStepName(*report.failed_step);
    j["error"] = {{"code", core::ErrorCodeName(report.status.code())},
                  {"exit_code", static_cast<int>(report.status.code())},
                  {"message", report.status.message()}};
  }
  return j;
}

void PrintPlan(const engine::ClusterHandle& target, const jobs::SwitchoverJobResult& result) {
  const engine::SwitchoverPlan& plan = result.report.plan;
  if (plan.candidate.name.empty())
    return;  // refused before a plan existed
  std::string reason = plan.reason.empty() ? "" : " (" + plan.reason + ")";
  std::printf("%s%s plan for %s: '%s' -> '%s'%s\n", result.dry_run ? "dry-run: " : "",
              jobs::SwitchoverKindName(result.kind), target.QualifiedName().c_str(),
              plan.old_primary.name.c_str(), plan.candidate.name.c_str(), reason.c_str());
  for (const auto& line : plan.steps)
    std::printf("  %s\n", line.c_str());
}

void PrintReport(const engine::ClusterHandle& target, const jobs::SwitchoverJobResult& result) {
  PrintPlan(target, result);
  if (result.dry_run)
    return;
  const engine::SwitchoverReport& report = result.report;
  for (const auto& step : report.steps) {
    std::printf("%-15s %7.3f s  %s\n", engine::SwitchoverStepName(step.step), Seconds(step.elapsed),
                step.detail.c_str());
  }
  if (report.failed_step) {
    std::printf("%-15s FAILED\n", engine::SwitchoverStepName(*report.failed_step));
  }
  std::string promoted = report.promoted_at.empty() ? "" : ", promoted at " + report.promoted_at;
  std::printf("%s %s in %.3f s%s\n", jobs::SwitchoverKindName(result.kind),
              report.status.ok() ? "completed" : "aborted", Seconds(report.total),
              promoted.c_str());
}

core::Status RunSwitchover(const GlobalOptions& g, const SwitchoverFlags& flags,
                           jobs::SwitchoverKind kind) {
  jobs::SwitchoverJobOptions options;
  options.kind = kind;
  // Flags are checked before the cluster is touched.
  HS_ASSIGN_OR_RETURN(auto timeout, ParseDuration("--timeout", flags.timeout));
  options.engine_options.timeout = timeout;
  options.engine_options.candidate = flags.to;
  options.engine_options.force = flags.force;
  options.engine_options.require_sync = flags.require_sync;
  options.dry_run = g.dry_run;
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  jobs::SwitchoverJobResult result = jobs::RunSwitchoverJob(ctx.target, options);
  if (!result.dry_run) {
    // For `serve`'s metrics; the switchover's own outcome does not depend on it.
    core::Status saved = jobs::SaveSwitchoverRecord(
        platform::DefaultStateDir(),
        jobs::MakeSwitchoverRecord(ctx.target, result, core::SystemClock::Get().NowUnixSeconds()));
    if (!saved.ok())
      core::LogWarn("switchover not recorded: " + saved.message());
  }
  if (g.WantsJson()) {
    std::printf("%s\n", ReportJson(ctx.target, result).dump().c_str());
  } else if (!g.quiet || !result.report.status.ok()) {
    PrintReport(ctx.target, result);
  }
  std::fflush(stdout);
  return result.report.status;
}

CLI::App* AddCommand(CLI::App& app, const std::string& name, const std::string& description,
                     GlobalOptions& g, CommandOutcome& out, jobs::SwitchoverKind kind) {
  auto flags = std::make_shared<SwitchoverFlags>();
  auto* cmd = app.add_subcommand(name, description);
  cmd->add_option("--to", flags->to,
                  "The instance to promote (name, e.g. db-1); default: the most advanced "
                  "healthy replica");
  cmd->add_option("--timeout", flags->timeout,
                  "Bound on each wait, above all the candidate's catch-up (default 30s)");
  if (kind == jobs::SwitchoverKind::kFailover) {
    cmd->add_flag("-f,--force", flags->force,
                  "Promote even when a position cannot be read or a reachable replica is ahead "
                  "of the choice (may lose transactions)");
    cmd->add_flag("--require-sync", flags->require_sync,
                  "Promote only a replica that provably holds every acknowledged commit: the "
                  "old primary committed synchronously (synchronous_standby_names, semi-sync) "
                  "and every replica was read; refused otherwise unless --force");
  }
  cmd->callback([&g, &out, flags, kind] { out.status = RunSwitchover(g, *flags, kind); });
  return cmd;
}

}  // namespace

void RegisterSwitchoverCommands(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  AddCommand(app, "switchover",
             "Make another instance the primary: fence and prove the old one, wait for the "
             "candidate, promote, repoint",
             g, out, jobs::SwitchoverKind::kSwitchover);
  AddCommand(app, "failover",
             "Promote the most advanced replica when the primary is down; the old primary "
             "stays fenced until repair",
             g, out, jobs::SwitchoverKind::kFailover);
}

}  // namespace hasteward::cli
