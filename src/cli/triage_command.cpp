// `hasteward triage -e -c -n [--json]`: read-only health of every instance, a table or JSON, exit
// 0 healthy / 4 degraded / 5 split-brain. The report is recorded as the cluster's last triage.
#include <cstdio>

#include "cli/cluster_access.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "engine/triage_json.h"
#include "jobs/triage_job.h"
#include "platform/state_dir.h"

namespace hasteward::cli {

namespace {

std::string Fact(const engine::InstanceHealth& h, const std::string& key) {
  auto it = h.facts.find(key);
  return it == h.facts.end() ? "" : it->second;
}

std::string Position(const engine::TriageReport& r, const engine::InstanceHealth& h) {
  switch (r.engine) {
    case platform::EngineKind::kPostgres:
      return Fact(h, "lineage_timeline").empty()
                 ? "-"
                 : "TL" + Fact(h, "lineage_timeline") + " " + Fact(h, "position_lsn") +
                       (Fact(h, "position_source") == "checkpoint" ? " (ckpt)" : "");
    case platform::EngineKind::kMariadb:
      return Fact(h, "gtid_current_pos").empty() ? "-" : Fact(h, "gtid_current_pos");
    case platform::EngineKind::kGalera:
      return Fact(h, "position_seqno").empty()
                 ? "UNKNOWN"
                 : Fact(h, "position_uuid").substr(0, 8) + ":" + Fact(h, "position_seqno") + " (" +
                       Fact(h, "position_source") + ")";
  }
  return "-";
}

std::string Detail(const engine::TriageReport& r, const engine::InstanceHealth& h) {
  if (!h.error.empty())
    return h.error;
  switch (r.engine) {
    case platform::EngineKind::kPostgres:
      if (h.role == "standby") {
        return "wal receiver " + Fact(h, "wal_receiver_status") + ", lag " +
               Fact(h, "replay_lag_seconds") + " s";
      }
      if (h.role == "primary")
        return "streaming standbys: " + Fact(h, "streaming_standbys");
      return Fact(h, "control_state");
    case platform::EngineKind::kMariadb:
      if (!Fact(h, "replication_problem").empty())
        return Fact(h, "replication_problem");
      if (h.role == "replica")
        return "lag " + Fact(h, "lag_seconds") + " s";
      return "read_only " + Fact(h, "read_only");
    case platform::EngineKind::kGalera:
      return Fact(h, "wsrep_local_state_comment").empty()
                 ? "grastate seqno " + Fact(h, "grastate_seqno")
                 : Fact(h, "wsrep_local_state_comment") + ", " + Fact(h, "wsrep_cluster_status") +
                       ", size " + Fact(h, "wsrep_cluster_size");
  }
  return "";
}

}  // namespace

void PrintTriageReport(const GlobalOptions& g, const engine::TriageReport& r) {
  if (g.WantsJson()) {
    std::printf("%s\n", engine::TriageReportToJson(r).dump().c_str());
    return;
  }
  std::printf("cluster %s/%s (%s): %s  [triaged in %lld ms]\n", r.ns.c_str(), r.cluster.c_str(),
              platform::EngineKindName(r.engine), engine::VerdictName(r.verdict),
              static_cast<long long>(r.took.count()));
  Table t({"ORD", "INSTANCE", "ROLE", "STATE", "WRITABLE", "POSITION", "DETAIL"});
  for (const auto& h : r.instances) {
    t.AddRow({std::to_string(h.instance.ordinal), h.instance.name, h.role,
              engine::InstanceStateName(h.state), h.writable ? "yes" : "no", Position(r, h),
              Detail(r, h)});
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
  auto report = jobs::TriageAndRecord(*ctx->platform, ctx->cluster, platform::DefaultStateDir());
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
