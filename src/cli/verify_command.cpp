#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/cluster_access.h"
#include "cli/commands.h"
#include "cli/repo_access.h"
#include "verify/verify.h"

namespace hasteward::cli {

namespace {

struct VerifyFlags {
  std::string snapshot = "latest";
  bool force = false;
  int timeout_seconds = 0;
  bool instant = false;
};

void PrintOutcome(const GlobalOptions& g, const verify::VerifyOutcome& o) {
  const auto& r = o.report;
  if (g.WantsJson()) {
    nlohmann::ordered_json j;
    j["skipped"] = o.skipped;
    j["reason"] = o.reason;
    j["orphans_removed"] = o.orphans_removed;
    if (!o.skipped) {
      j["evidence_id"] = o.evidence_id;
      j["report"] = nlohmann::json::parse(verify::EncodeReport(r));
    }
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  if (o.skipped) {
    std::printf("already verified: %s\n", o.reason.c_str());
    return;
  }
  std::printf("verification of snapshot %s: %s in %.1fs (%zu tables), evidence %s\n",
              r.snapshot_id.substr(0, 8).c_str(), r.ok ? "ok" : "FAILED", r.duration_seconds,
              r.tables.size(), o.evidence_id.substr(0, 8).c_str());
  for (const auto& f : r.failures)
    std::printf("  failure: %s\n", f.c_str());
}

core::Status RunVerify(const GlobalOptions& g, const VerifyFlags& f, CommandOutcome& out) {
  HS_TRY(RefuseDryRun(g, "verify", "a verification is a restore into a throwaway instance",
                      "run it without --dry-run; it never changes the cluster"));
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  HS_ASSIGN_OR_RETURN(auto r, OpenRepository(g));
  verify::VerifyOptions opts;
  opts.snapshot = f.snapshot;
  opts.force = f.force;
  opts.timeout = std::chrono::seconds(f.timeout_seconds);
  opts.instant = f.instant;
  HS_ASSIGN_OR_RETURN(auto outcome, verify::VerifyCluster(ctx.target.cluster(), *r, opts));
  PrintOutcome(g, outcome);
  if (!outcome.skipped && !outcome.report.ok) {
    out.exit_code_override = static_cast<int>(core::ErrorCode::kVerifyFailed);
  }
  return core::Status::Ok();
}

}  // namespace

void RegisterVerifyCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto flags = std::make_shared<VerifyFlags>();
  auto* cmd = app.add_subcommand(
      "verify",
      "Prove a backup restores: restore it into a throwaway instance, check it, record "
      "the verdict in the repository (exit 28 when it fails)");
  cmd->add_option("--snapshot", flags->snapshot,
                  "Snapshot ID, prefix or 'latest' (env HASTEWARD_SNAPSHOT)")
      ->envname("HASTEWARD_SNAPSHOT");
  cmd->add_flag("--force", flags->force, "Verify again although the snapshot has evidence");
  cmd->add_option("--timeout", flags->timeout_seconds, "Give up after N seconds (0 = never)");
  cmd->add_flag("--instant", flags->instant,
                "Native snapshots: run the throwaway instance on an overlay of the mounted "
                "snapshot instead of restoring it first (docs/instant-restore.md; needs root)");
  cmd->callback([&g, &out, flags] { out.status = RunVerify(g, *flags, out); });
}

}  // namespace hasteward::cli
