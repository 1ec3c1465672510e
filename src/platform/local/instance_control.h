// Starting, stopping and probing one local instance from its inventory entry. Shared by
// LocalPlatform and the sandbox (which drives the same start/stop argv it records).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/subprocess.h"
#include "platform/platform.h"

namespace hasteward::platform {

constexpr std::chrono::seconds kDefaultStartTimeout{120};
constexpr std::chrono::seconds kDefaultStopTimeout = Platform::kDefaultStopTimeout;

// The argv used when the inventory gives none: pg_ctl for PostgreSQL, `setsid -f mariadbd
// --defaults-file=<configFile>` / SIGTERM by pid file for MariaDB and Galera.
std::vector<std::string> DefaultStartCommand(EngineKind engine, const Instance& i);
std::vector<std::string> DefaultStopCommand(EngineKind engine, const Instance& i);

// The server's pid file: <dataDir>/postmaster.pid, or the pid-file of the MariaDB config file
// (else <dataDir>/mariadbd.pid).
std::string InstancePidFile(EngineKind engine, const Instance& i);

// The pid of the running server, or nullopt.
std::optional<pid_t> RunningPid(EngineKind engine, const Instance& i);

enum class StartMode {
  kNormal,
  // Galera: form a new Primary component from this node: "--wsrep-new-cluster" is appended to the
  // start argv (the inventory's, else DefaultStartCommand), never used as the argv itself.
  kBootstrapNewCluster,
};

// The argv that starts `i`: its inventory start command, else DefaultStartCommand, plus what
// `mode` needs.
std::vector<std::string> StartArgv(EngineKind engine, const Instance& i, StartMode mode);

// Runs the start argv as the instance's OS user (its output goes to <logFile>.start), then waits
// until host:port accepts TCP connections. Ok at once when already running and accepting.
core::Status StartLocalInstance(EngineKind engine, const Instance& i,
                                std::chrono::milliseconds timeout = kDefaultStartTimeout,
                                StartMode mode = StartMode::kNormal);

// Runs the stop argv and waits until the server process is gone. Ok when not running.
// kTimeout when the process outlives the deadline (it is not killed).
core::Status StopLocalInstance(EngineKind engine, const Instance& i,
                               std::chrono::milliseconds timeout = kDefaultStopTimeout);
// SIGKILL to the instance's server process, then waits until it is gone; ok when not running.
core::Status KillLocalInstance(EngineKind engine, const Instance& i,
                               std::chrono::milliseconds timeout);

// Starts options.argv as the instance's OS user.
core::Result<std::unique_ptr<core::Subprocess>> ExecLocal(const Instance& i,
                                                          core::SubprocessOptions options);

}  // namespace hasteward::platform
