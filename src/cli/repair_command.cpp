// `hasteward repair -e -c -n [-i N] [--force] [--no-escrow] [--heal-timeout D] [--dry-run]`:
// the safety table (engine/repair.h), escrow and diverged captures, heal flows, re-triage. Each
// step is printed as it happens (stderr) so what was kept and where is visible even when a later
// step fails.
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <nlohmann/json.hpp>

#include "cli/cluster_access.h"
#include "cli/commands.h"
#include "cli/duration_flag.h"
#include "cli/repo_access.h"
#include "engine/triage_json.h"
#include "jobs/repair_job.h"
#include "platform/state_dir.h"

namespace hasteward::cli {

void PrintTriageReport(const GlobalOptions& g, const engine::TriageReport& r);

namespace {

struct RepairFlags {
  int instance = -1;
  bool force = false;
  bool no_escrow = false;
  bool keep_replaced = false;
  std::string heal_timeout = "600s";
  std::string delete_timeout = "300s";  // HASteward README: default 300 s
};

bool EnvTrue(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && (std::string(v) == "1" || std::string(v) == "true");
}

core::Status RunRepair(const GlobalOptions& g, const RepairFlags& f, CommandOutcome& out) {
  jobs::RepairJobOptions o;
  // Flags (and their environment variables) are checked before the cluster is touched.
  HS_ASSIGN_OR_RETURN(o.heal.heal_timeout, ParseDuration("--heal-timeout", f.heal_timeout));
  HS_ASSIGN_OR_RETURN(o.heal.delete_timeout, ParseDuration("--delete-timeout", f.delete_timeout));
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  if (f.instance >= 0)
    o.request.target = f.instance;
  o.request.force = f.force || EnvTrue("HASTEWARD_FORCE");
  o.no_escrow = f.no_escrow || EnvTrue("HASTEWARD_NO_ESCROW");
  o.dry_run = g.dry_run;
  o.state_dir = platform::DefaultStateDir();
  HS_ASSIGN_OR_RETURN(o.heal.heal_timeout, ParseDuration("--heal-timeout", f.heal_timeout));
  HS_ASSIGN_OR_RETURN(o.heal.delete_timeout, ParseDuration("--delete-timeout", f.delete_timeout));
  // One clock read names the job: the kept-copy stamp and the time of every snapshot it takes.
  int64_t job_start = core::SystemClock::Get().NowUnixSeconds();
  o.heal.stamp = jobs::JobStamp(job_start);
  o.job_start = repo::LocalTimeFromUnix(job_start, 0);
  o.heal.keep_replaced = f.keep_replaced;
  bool quiet = g.quiet;
  o.heal.log = [quiet](const std::string& line) {
    if (!quiet)
      std::fprintf(stderr, "repair: %s\n", line.c_str());
  };
  std::unique_ptr<repo::Repository> r;
  if (!o.no_escrow && !o.dry_run) {
    HS_ASSIGN_OR_RETURN(r, OpenRepository(g));
    o.repo = r.get();
  }
  HS_ASSIGN_OR_RETURN(auto result, jobs::RepairCluster(ctx.target, o));
  if (g.WantsJson()) {
    nlohmann::ordered_json j;
    j["cluster"] = ctx.target.cluster().name;
    j["namespace"] = ctx.target.cluster().ns;
    j["dry_run"] = result.dry_run;
    j["plan"] = engine::DescribeRepairPlan(result.plan);
    j["escrow_snapshot"] = result.escrow_snapshot;
    j["diverged_snapshots"] = result.diverged_snapshots;
    j["job"] = result.diverged_snapshots.empty() ? "" : o.heal.stamp;
    j["healed"] = result.healed;
    j["after"] = engine::TriageReportToJson(result.after);
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s plan for %s/%s:\n", result.dry_run ? "dry-run" : "repair",
                ctx.target.cluster().ns.c_str(), ctx.target.cluster().name.c_str());
    for (const auto& line : engine::DescribeRepairPlan(result.plan)) {
      std::printf("  %s\n", line.c_str());
    }
    if (!result.dry_run) {
      std::string healed;
      for (const auto& h : result.healed)
        healed += (healed.empty() ? "" : ", ") + h;
      std::printf("healed: %s\n", healed.empty() ? "(none)" : healed.c_str());
      if (!result.escrow_snapshot.empty()) {
        std::printf("escrow snapshot: %s\n", result.escrow_snapshot.substr(0, 8).c_str());
      }
      for (const auto& d : result.diverged_snapshots)
        std::printf("diverged: %s\n", d.c_str());
      std::printf("re-triage:\n");
      PrintTriageReport(g, result.after);
    }
  }
  if (!result.dry_run) {
    out.exit_code_override = static_cast<int>(engine::VerdictExitCode(result.after.verdict));
  }
  return core::Status::Ok();
}

}  // namespace

void RegisterRepairCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto f = std::make_shared<RepairFlags>();
  auto* cmd = app.add_subcommand("repair", "Heal unhealthy instances (with a pre-repair backup)");
  cmd->add_option("-i,--instance", f->instance,
                  "Heal only this instance (ordinal; env HASTEWARD_INSTANCE)")
      ->envname("HASTEWARD_INSTANCE");
  cmd->add_flag("-f,--force", f->force,
                "Targeted repair only: heal during split-brain (after diverged captures) or "
                "re-clone a healthy instance (env HASTEWARD_FORCE)");
  cmd->add_flag("--no-escrow", f->no_escrow,
                "Skip the pre-repair backup (env HASTEWARD_NO_ESCROW)");
  cmd->add_option("--heal-timeout", f->heal_timeout,
                  "Time a healed instance has to rejoin (default 600s; env HASTEWARD_HEAL_TIMEOUT)")
      ->envname("HASTEWARD_HEAL_TIMEOUT");
  cmd->add_option("--delete-timeout", f->delete_timeout,
                  "Time to fence (stop) an instance (default 300s; env HASTEWARD_DELETE_TIMEOUT)")
      ->envname("HASTEWARD_DELETE_TIMEOUT");
  cmd->add_flag("--keep-replaced", f->keep_replaced,
                "Keep the moved-aside data directory after a successful heal");
  cmd->callback([&g, &out, f] { out.status = RunRepair(g, *f, out); });
}

}  // namespace hasteward::cli
