// `hasteward triage -e -c -n [--json]`: read-only health of every instance, a table or JSON, exit
// 0 healthy / 4 degraded / 5 split-brain. The report is recorded as the cluster's last triage.
#include <cstdio>

#include "cli/cluster_access.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "engine/engine.h"
#include "engine/triage_json.h"
#include "jobs/triage_job.h"
#include "platform/state_dir.h"

namespace hasteward::cli {

void PrintTriageReport(const GlobalOptions& g, const engine::TriageReport& r) {
  if (g.WantsJson()) {
    std::printf("%s\n", engine::TriageReportToJson(r).dump().c_str());
    return;
  }
  std::printf("cluster %s/%s (%s): %s  [triaged in %lld ms]\n", r.ns.c_str(), r.cluster.c_str(),
              platform::EngineKindName(r.engine), engine::VerdictName(r.verdict),
              static_cast<long long>(r.took.count()));
  auto eng = engine::MakeEngine(r.engine);
  Table t({"ORD", "INSTANCE", "ROLE", "STATE", "WRITABLE", "POSITION", "DETAIL"});
  for (const auto& h : r.instances) {
    engine::InstanceDescription d =
        eng.ok() ? (*eng)->DescribeInstanceHealth(h) : engine::InstanceDescription{"-", h.error};
    t.AddRow({std::to_string(h.instance.ordinal), h.instance.name, engine::RoleName(h.role),
              engine::InstanceStateName(h.state), h.writable ? "yes" : "no", d.position, d.detail});
  }
  std::printf("%s", t.Render().c_str());
  for (const auto& f : r.findings) {
    std::string who = f.instance.empty() ? "" : "'" + f.instance + "': ";
    std::printf("%-8s %s%s\n", engine::SeverityName(f.severity), who.c_str(), f.message.c_str());
  }
}

namespace {

void RunTriage(const GlobalOptions& g, CommandOutcome& out) {
  auto ctx = OpenCluster(g);
  if (!ctx.ok()) {
    out.status = ctx.TakeStatus();
    return;
  }
  auto report = jobs::TriageAndRecord(ctx->target, platform::DefaultStateDir());
  if (!report.ok()) {
    out.status = report.TakeStatus();
    return;
  }
  PrintTriageReport(g, *report);
  out.exit_code_override = static_cast<int>(engine::VerdictExitCode(report->verdict));
}

}  // namespace

void AddTriageStatusCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);

void RegisterTriageCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  AddTriageStatusCommand(app, g, out);
  auto* cmd = app.add_subcommand(
      "triage", "Read-only health of every instance (exit 0 healthy, 4 degraded, 5 split-brain)");
  cmd->callback([&g, &out] { RunTriage(g, out); });
}

}  // namespace hasteward::cli
