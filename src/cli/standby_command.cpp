// `hasteward standby status NAME --config FILE`: one discovery of a DR standby and its conditions
// (docs/standby.md).
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "dr/dr.h"

namespace hasteward::cli {

namespace {

struct StandbyFlags {
  std::string name;
  std::string config;
};

core::Status RunStandbyStatus(const GlobalOptions& g, const StandbyFlags& flags,
                              CommandOutcome& out) {
  HS_TRY(RefuseDryRun(g, "standby status",
                      "it reads the source repository and writes only its own cursor there",
                      "run it without --dry-run; set cursor.write: false in the declaration to "
                      "write nothing"));
  std::string config = flags.config;
  if (config.empty() && std::getenv("HASTEWARD_STANDBY_CONFIG") != nullptr) {
    config = std::getenv("HASTEWARD_STANDBY_CONFIG");
  }
  if (config.empty()) {
    return core::Usage("no standby declaration given",
                       "pass --config FILE (docs/standby.md describes the format)");
  }
  HS_ASSIGN_OR_RETURN(dr::StandbySpec spec, dr::LoadStandbySpec(config, flags.name));
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
}

}  // namespace hasteward::cli
