// operator: `hasteward serve`, the long-running operator for the local platform. It reads the
// policy/repository config (config.h), runs each managed cluster's backup, verify and triage jobs
// on their cron schedules (scheduler.h), applies retention after backups (retention_hook.h),
// serves Prometheus metrics and health probes over HTTP (http_server.h, metrics.h), persists its
// state (state_store.h), runs the config's DR standbys on their discovery interval
// (standby_runner.h), and shuts down cleanly on SIGTERM/SIGINT. On a platform with replicas
// (kubernetes) it acts only while it holds the leader lease (platform/leader_election.h) and
// exits with kSafetyStop when it loses it. Depends on verify, jobs and
// below. Namespace hasteward::op ("operator" is a C++ keyword).
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"

namespace hasteward::op {

struct ServeOptions {
  std::string config_path;
  std::string metrics_addr = ":8080";
  std::string health_addr = ":8081";
  double tick_seconds = 60;         // real seconds per scheduler minute (tests: e.g. 2)
  std::chrono::seconds grace{30};   // how long a running job may finish on SIGTERM
  std::string self_exe;             // "" = /proc/self/exe
  std::string log_format = "text";  // passed to job children
};

// Runs until SIGTERM or SIGINT. Errors: bad config (kUsage), ports in use (kUnreachable).
core::Status Serve(const ServeOptions& options);

}  // namespace hasteward::op
