#include <cstdlib>

#include "cli/commands.h"
#include "operator/serve.h"

namespace hasteward::cli {

namespace {

struct ServeFlags {
  std::string config;
  std::string metrics_addr = ":8080";
  std::string health_addr = ":8081";
  double tick_seconds = 60;
  int grace_seconds = 30;
};

}  // namespace

void RegisterServeCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto flags = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand(
      "serve",
      "Run the operator: scheduled backups, verification and triage with metrics "
      "(docs/operator.md)");
  cmd->add_option("--config", flags->config,
                  "Policy/repository config YAML (env HASTEWARD_CONFIG)");
  cmd->add_option("--metrics-addr", flags->metrics_addr, "Metrics listen address (/metrics)");
  cmd->add_option("--health-addr", flags->health_addr, "Probe listen address (/healthz, /readyz)");
  cmd->add_option("--tick-seconds", flags->tick_seconds,
                  "Real seconds per scheduler minute (default 60; tests use e.g. 2)");
  cmd->add_option("--shutdown-grace", flags->grace_seconds,
                  "Seconds a running job may finish after SIGTERM before it is aborted");
  cmd->callback([&g, &out, flags] {
    out.status =
        RefuseDryRun(g, "serve", "the operator runs jobs on a schedule",
                     "run single commands with --dry-run, e.g. 'hasteward repair --dry-run'");
    if (!out.status.ok())
      return;
    op::ServeOptions o;
    o.config_path = flags->config;
    if (o.config_path.empty() && std::getenv("HASTEWARD_CONFIG") != nullptr) {
      o.config_path = std::getenv("HASTEWARD_CONFIG");
    }
    if (o.config_path.empty()) {
      out.status = core::Usage("no config given", "pass --config FILE (docs/operator.md)");
      return;
    }
    o.metrics_addr = flags->metrics_addr;
    o.health_addr = flags->health_addr;
    o.tick_seconds = flags->tick_seconds;
    o.grace = std::chrono::seconds(flags->grace_seconds);
    o.log_format = g.log_format;
    out.status = op::Serve(o);
  });
}

}  // namespace hasteward::cli
