// `hasteward standby status NAME --config FILE`: one discovery of a DR standby and its conditions
// (docs/standby.md).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "dr/dr.h"
#include "operator/standby_activation.h"

namespace hasteward::cli {

namespace {

struct StandbyFlags {
  std::string name;
  std::string config;
  std::string confirm;  // activate: RFC 3339 token
};

core::Result<dr::StandbySpec> LoadSpec(const StandbyFlags& flags) {
  std::string config = flags.config;
  if (config.empty() && std::getenv("HASTEWARD_STANDBY_CONFIG") != nullptr) {
    config = std::getenv("HASTEWARD_STANDBY_CONFIG");
  }
  if (config.empty()) {
    return core::Usage("no standby declaration given",
                       "pass --config FILE (docs/standby.md describes the format)");
  }
  return dr::LoadStandbySpec(config, flags.name);
}

core::Status RunStandbyActivate(const GlobalOptions& g, const StandbyFlags& flags) {
  HS_TRY(RefuseDryRun(g, "standby activate", "it restores into the template's cluster",
                      "run 'hasteward standby status' to see what it would restore"));
  auto token = repo::ParseGoTime(flags.confirm);
  if (flags.confirm.empty() || !token.ok()) {
    return core::Status(core::ErrorCode::kConfirmationRequired,
                        "standby activate needs --confirm with an RFC 3339 time",
                        "pass the current time, e.g. --confirm \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"");
  }
  op::StandbyActivationOptions options;
  HS_ASSIGN_OR_RETURN(options.spec, LoadSpec(flags));
  options.inventory_path = g.inventory;
  options.token = *token;
  std::error_code error;
  options.binary = std::filesystem::read_symlink("/proc/self/exe", error).string();
  if (!g.quiet && !g.WantsJson()) {
    options.log = [](const std::string& line) {
      std::fprintf(stderr, "%s\n", line.c_str());
    };
  }
  HS_ASSIGN_OR_RETURN(dr::ActivationRecord record, op::ActivateStandby(options));
  if (g.WantsJson()) {
    std::printf("%s\n", dr::ActivationRecordJson(record).dump().c_str());
  } else if (!g.quiet) {
    std::printf("standby %s: %s\n%s", record.name.c_str(), dr::ActivationPhaseName(record.phase),
                dr::ActivationRecordText(record).c_str());
  }
  return core::Status::Ok();
}

core::Status RunStandbyStatus(const GlobalOptions& g, const StandbyFlags& flags,
                              CommandOutcome& out) {
  HS_TRY(RefuseDryRun(g, "standby status",
                      "it reads the source repository and writes only its own cursor there",
                      "run it without --dry-run; set cursor.write: false in the declaration to "
                      "write nothing"));
  HS_ASSIGN_OR_RETURN(dr::StandbySpec spec, LoadSpec(flags));
  HS_ASSIGN_OR_RETURN(dr::StandbyReport report, dr::CheckStandby(spec, dr::CheckOptions{}));
  if (g.WantsJson()) {
    std::printf("%s\n", report.ToJson().dump().c_str());
  } else {
    std::printf("%s", report.ToText().c_str());
  }
  // The conditions are the output; the exit code summarizes them for scripts and probes.
  out.exit_code_override = static_cast<int>(report.ExitCode());
  return core::Status::Ok();
}

}  // namespace

void RegisterStandbyCommands(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto* standby = app.add_subcommand(
      "standby", "Cross-cluster DR standby: follow a source cluster through its repository");
  standby->require_subcommand(1);
  auto flags = std::make_shared<StandbyFlags>();
  auto* status = standby->add_subcommand(
      "status",
      "Discover the source's newest backup, archive position and newest verified backup once, "
      "print the standby's conditions (BucketReadable, SourceConfigKnown, Restorable, Fresh, "
      "Stale), and refresh its retention floor cursor in the source repository (the backup and "
      "archive the source's prune must keep). Exit 0 when all are good, 4 when Stale, not "
      "Restorable or the cursor could not be written, 20 without a backup of the source, the "
      "repository's error code when it cannot be read");
  status->add_option("name", flags->name, "The standby's name in the declaration")->required();
  status->add_option("--config", flags->config,
                     "Standby declaration YAML (env HASTEWARD_STANDBY_CONFIG)");
  status->callback([&g, &out, flags] { out.status = RunStandbyStatus(g, *flags, out); });
  auto* activate = standby->add_subcommand(
      "activate",
      "Activate the standby: restore the source's newest base backup into the template's cluster, "
      "replay the archive to the last archived position (or activation.pointInTime) and make it "
      "the writable primary, as a persisted state machine that a rerun resumes (docs/standby.md). "
      "Exit 26 for a token not after the last used one, 29 when already activated, 24 when not "
      "Restorable or the source still answers at source.probe");
  activate->add_option("name", flags->name, "The standby's name in the declaration")->required();
  activate->add_option("--config", flags->config,
                       "Standby declaration YAML (env HASTEWARD_STANDBY_CONFIG)");
  activate->add_option("--confirm", flags->confirm,
                       "RFC 3339 time, strictly after the last token used for this standby (the "
                       "current time): confirms this run, also a rerun that resumes");
  activate->callback([&g, &out, flags] { out.status = RunStandbyActivate(g, *flags); });
}

}  // namespace hasteward::cli
