#include "cli/cli.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "cli/json_messages.h"
#include "core/fd.h"
#include "core/log.h"
#include "core/redact.h"
#include "core/stop_signal.h"

namespace hasteward::cli {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

void AddGlobalFlags(CLI::App& app, GlobalOptions& g) {
  app.add_option("--backups-path,-r,--repo", g.backups_path,
                 "Repository location (env HASTEWARD_BACKUPS_PATH, RESTIC_REPOSITORY)");
  app.add_option("--restic-password", g.restic_password,
                 "Repository password (env RESTIC_PASSWORD)");
  app.add_option("--restic-password-file,--password-file", g.password_file,
                 "File holding the repository password (env RESTIC_PASSWORD_FILE)");
  app.add_option("--s3-credentials-file", g.s3_credentials_file,
                 "AWS credentials file for s3: repositories, read instead of AWS_* variables "
                 "(env HASTEWARD_S3_CREDENTIALS_FILE)");
  app.add_option("-e,--engine", g.engine, "Database engine: cnpg|postgres|mariadb|galera");
  app.add_option("-c,--cluster", g.cluster, "Cluster name (env HASTEWARD_CLUSTER)");
  app.add_option("-n,--namespace", g.ns, "Namespace (env HASTEWARD_NAMESPACE)");
  app.add_option("--inventory", g.inventory, "Inventory file (env HASTEWARD_INVENTORY)");
  app.add_option("--platform", g.platform,
                 "Where clusters live: local (default) (env HASTEWARD_PLATFORM)");
  app.add_option("--output", g.output, "Output: auto|human|json|jsonl")
      ->check(CLI::IsMember({"auto", "human", "json", "jsonl"}));
  app.add_flag("--json", g.json, "JSON output");
  app.add_flag("-q,--quiet", g.quiet, "Only warnings and errors");
  app.add_flag("-v,--verbose", g.verbose, "Debug logging (env HASTEWARD_VERBOSE)")
      ->envname("HASTEWARD_VERBOSE");
  app.add_flag("--dry-run", g.dry_run, "Print what would be done, change nothing");
  app.add_option("--log-format", g.log_format, "Log format: text|json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--progress", g.progress, "Progress: auto|always|never|json")
      ->check(CLI::IsMember({"auto", "always", "never", "json"}));
}

}  // namespace

void GlobalOptions::ApplyEnvironment() {
  if (backups_path.empty())
    backups_path = Env("HASTEWARD_BACKUPS_PATH");
  if (backups_path.empty())
    backups_path = Env("RESTIC_REPOSITORY");
  // Explicit flags beat the environment, as in restic: a password file named on the command line
  // is used even when RESTIC_PASSWORD is set (the operator passes each repository's own file).
  if (restic_password.empty() && password_file.empty()) {
    restic_password = Env("RESTIC_PASSWORD");
    if (restic_password.empty())
      password_file = Env("RESTIC_PASSWORD_FILE");
  }
  if (s3_credentials_file.empty())
    s3_credentials_file = Env("HASTEWARD_S3_CREDENTIALS_FILE");
  if (engine.empty())
    engine = Env("HASTEWARD_ENGINE");
  if (cluster.empty())
    cluster = Env("HASTEWARD_CLUSTER");
  if (!ns_explicit && !Env("HASTEWARD_NAMESPACE").empty()) {
    ns = Env("HASTEWARD_NAMESPACE");
    ns_explicit = true;
  }
  if (inventory.empty())
    inventory = Env("HASTEWARD_INVENTORY");
  if (platform.empty())
    platform = Env("HASTEWARD_PLATFORM");
  if (!Env("HASTEWARD_OUTPUT").empty() && output == "auto")
    output = Env("HASTEWARD_OUTPUT");
}

core::Result<std::string> ReadPasswordFile(const std::string& path, const std::string& hint) {
  auto content = core::ReadFileToString(path);
  if (!content.ok()) {
    return core::Usage("cannot read password file '" + path + "'", hint);
  }
  std::string password = *content;
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
    password.pop_back();
  }
  return password;
}

core::Result<std::string> GlobalOptions::Password() const {
  if (!restic_password.empty() && !password_file.empty()) {
    return core::Usage("both --restic-password and --restic-password-file are given",
                       "pass only one of them");
  }
  if (!restic_password.empty()) {
    return restic_password;
  }
  if (!password_file.empty()) {
    return ReadPasswordFile(password_file, "check --restic-password-file / RESTIC_PASSWORD_FILE");
  }
  return core::Usage("no repository password given",
                     "pass --restic-password, or set RESTIC_PASSWORD or RESTIC_PASSWORD_FILE");
}

core::Result<std::string> GlobalOptions::Repository() const {
  if (backups_path.empty()) {
    return core::Usage("no repository given",
                       "pass --backups-path, or set HASTEWARD_BACKUPS_PATH or RESTIC_REPOSITORY");
  }
  return backups_path;
}

core::Status RefuseDryRun(const GlobalOptions& g, const std::string& command,
                          const std::string& why, const std::string& hint) {
  if (!g.dry_run)
    return core::Status::Ok();
  return core::Usage("'" + command + "' does not support --dry-run: " + why, hint);
}

void PrintError(const core::Status& status, const GlobalOptions& g) {
  // Errors quote repository locations and URLs; whatever layer made them, no password leaves.
  std::string message = core::RedactUrlCredentials(status.message());
  std::string hint = core::RedactUrlCredentials(status.hint());
  if (g.WantsJson()) {
    PrintJsonLine(stderr, ErrorMessage{status.code(), message, hint});
    return;
  }
  std::fprintf(stderr, "error: %s\n", message.c_str());
  if (!hint.empty()) {
    std::fprintf(stderr, "HINT: %s\n", hint.c_str());
  }
}

int Main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  core::InstallStopSignalHandlers();
  CLI::App app{"hasteward: triage, repair, back up and restore database clusters"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for all subcommands");
  GlobalOptions g;
  CommandOutcome out;
  AddGlobalFlags(app, g);
  app.parse_complete_callback([&g, &app] {
    g.ns_explicit = app.get_option("--namespace")->count() > 0;
    g.ApplyEnvironment();
    core::Log::SetJson(g.log_format == "json");
    core::Log::SetQuiet(g.quiet);
    if (g.verbose && !g.quiet)
      core::Log::SetLevel(core::LogLevel::kDebug);
  });
  app.fallthrough();
  RegisterVersionCommand(app, g, out);
  RegisterRepoCommands(app, g, out);
  RegisterBackupCommand(app, g, out);
  RegisterExportCommand(app, g, out);
  RegisterMountCommand(app, g, out);
  RegisterGetCommand(app, g, out);
  RegisterRestoreCommand(app, g, out);
  RegisterInstanceCommand(app, g, out);
  RegisterTriageCommand(app, g, out);
  RegisterRepairCommand(app, g, out);
  RegisterReconfigureCommand(app, g, out);
  RegisterSwitchoverCommands(app, g, out);
  RegisterPruneCommand(app, g, out);
  RegisterSandboxCommand(app, g, out);
  RegisterVerifyCommand(app, g, out);
  RegisterServeCommand(app, g, out);
  RegisterWalCommands(app, g, out);
  RegisterWalReceiveCommand(app, g, out);
  RegisterPitrCommands(app, g, out);
  RegisterStandbyCommands(app, g, out);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : static_cast<int>(core::ErrorCode::kUsage);
  }
  if (int sig = core::StopSignal(); sig != 0) {
    // Whatever failed after the stop (a killed dump tool, a closed pipe) is its consequence.
    core::Status stopped = core::StopStatus();
    if (!out.status.ok() && out.status.code() != stopped.code()) {
      std::string hint = out.status.hint().empty() ? stopped.hint() : out.status.hint();
      stopped = core::Status(stopped.code(), stopped.message() + ": " + out.status.message(), hint);
    }
    PrintError(stopped, g);
    return core::StopExitCode(sig);
  }
  if (!out.status.ok()) {
    PrintError(out.status, g);
    return out.failure_exit_code >= 0 ? out.failure_exit_code : static_cast<int>(out.status.code());
  }
  return out.exit_code_override >= 0 ? out.exit_code_override : 0;
}

}  // namespace hasteward::cli
