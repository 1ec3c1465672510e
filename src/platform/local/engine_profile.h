// What the local platform must know about each engine to run its server: the OS user Debian's
// package runs it as, the default start/stop argv, where the pid file is, and how the sandbox
// builds a cluster of it. One row per engine, looked up once (like pgBackRest's PgInterface
// rows), so platform code never switches on the engine kind.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "platform/cluster.h"

namespace hasteward::platform {

namespace sandbox {
struct SandboxBuild;
}  // namespace sandbox

struct LocalEngineProfile {
  EngineKind engine;
  // The OS user the server runs as when HASteward runs as root ("postgres", "mysql").
  const char* server_os_user;
  // The argv used when the inventory gives none.
  std::vector<std::string> (*default_start_command)(const Instance& i);
  std::vector<std::string> (*default_stop_command)(const Instance& i);
  // The server's pid file.
  std::string (*pid_file)(const Instance& i);
  // Makes, starts and wires up every instance of a sandbox cluster.
  core::Status (*build_sandbox)(sandbox::SandboxBuild& build);
  // Whether the engine has a replication mode (async/semisync) the sandbox records.
  bool has_replication_mode;
  // A shell command line opening the engine's client on `i` as `c`, reading the password from
  // its file when it sits in one (never the password itself).
  std::string (*connect_command)(const Instance& i, const Credentials& c);
};

// The row for `engine` (every EngineKind has one).
const LocalEngineProfile& LocalProfile(EngineKind engine);

}  // namespace hasteward::platform
