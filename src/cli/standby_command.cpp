// `hasteward standby status|verify|activate NAME --config FILE`: one discovery of a DR standby and
// its conditions, one gated verification of its source's newest backup at this site, and its
// activation (docs/standby.md).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "dr/dr.h"
#include "dr/standby_activation.h"
#include "dr/standby_verifier.h"

namespace hasteward::cli {

namespace {

struct StandbyFlags {
  std::string name;
  std::string config;
  std::string confirm;  // activate: RFC 3339 token
  bool force = false;   // verify: restore although the gate would skip
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
  dr::StandbyActivationOptions options;
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
  HS_ASSIGN_OR_RETURN(dr::ActivationRecord record, dr::RunStandbyActivation(options));
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

core::Status RunStandbyVerify(const GlobalOptions& g, const StandbyFlags& flags,
                              CommandOutcome& out) {
  HS_TRY(RefuseDryRun(g, "standby verify", "it restores into a scratch instance on this machine",
                      "run 'hasteward standby status' to see whether the newest backup is "
                      "verified"));
  dr::StandbyVerifierOptions options;
  HS_ASSIGN_OR_RETURN(dr::StandbySpec spec, LoadSpec(flags));
  options.inventory_path = g.inventory;
  options.force = flags.force;
  HS_ASSIGN_OR_RETURN(dr::StandbyVerifyOutcome outcome, dr::VerifyStandbyNow(spec, options));
  if (g.WantsJson()) {
    std::printf("%s\n", outcome.ToJson().dump().c_str());
  } else if (!g.quiet) {
    std::printf("%s", outcome.ToText().c_str());
  }
  // The outcome is the output; the exit code summarizes it for scripts.
  out.exit_code_override = static_cast<int>(outcome.ExitCode());
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
  auto* verify = standby->add_subcommand(
      "verify",
      "Verify the source's newest backup at this site: restore it into a throwaway scratch "
      "instance, run the checks of 'hasteward verify', tear the instance down and record the "
      "result in the standby's state file (nothing is written to the source's repository). "
      "Gated: restores only a backup not verified yet, or one whose verification failed once "
      "freshness.verifySchedule has fired since (--force: always). Restorable follows the result. "
      "Exit 0 when the newest backup passed (now or before), 28 when it failed, 20 without a "
      "backup of the source, the error's code when the verification could not run");
  verify->add_option("name", flags->name, "The standby's name in the declaration")->required();
  verify->add_option("--config", flags->config,
                     "Standby declaration YAML (env HASTEWARD_STANDBY_CONFIG)");
  verify->add_flag("--force", flags->force,
                   "Restore the newest backup although it was already verified");
  verify->callback([&g, &out, flags] { out.status = RunStandbyVerify(g, *flags, out); });
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
