#include "platform/local/instance_control.h"

#include <cerrno>
#include <csignal>
#include <cstring>

#include "core/clock.h"
#include "core/credential_env.h"
#include "core/fd.h"
#include "core/os_user.h"
#include "core/process_info.h"
#include "core/tcp_probe.h"
#include "platform/local/engine_profile.h"

namespace hasteward::platform {

namespace {

std::string TailOfFile(const std::string& path) {
  auto text = core::ReadFileToString(path);
  if (!text.ok())
    return "";
  std::string s = *text;
  constexpr size_t kTail = 2000;
  if (s.size() > kTail)
    s = s.substr(s.size() - kTail);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

std::chrono::milliseconds Remaining(std::chrono::steady_clock::time_point deadline) {
  auto left = deadline - core::SystemClock::Get().Monotonic();
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(left));
}

core::Status RunControlCommand(const Instance& i, const std::vector<std::string>& argv,
                               const std::string& what, std::chrono::milliseconds timeout) {
  core::SubprocessOptions o;
  o.argv = argv;
  // A server started here lives on after hasteward: it must not carry hasteward's credentials.
  o.env_unset = core::CredentialEnvironmentVariables();
  o.stdout_mode = core::StdioMode::kNull;
  o.stderr_mode = core::StdioMode::kNull;
  std::string out_file = i.log_file.empty() ? "" : i.log_file + "." + what;
  if (!out_file.empty()) {
    o.stderr_mode = core::StdioMode::kFile;
    o.stderr_file = out_file;
  }
  HS_TRY(core::RunAsOsUser(i.os_user, o));
  HS_ASSIGN_OR_RETURN(auto proc, core::Subprocess::Start(o));
  auto st = proc->WaitFor(timeout);
  if (!st) {
    return core::Status(core::ErrorCode::kTimeout,
                        what + " of instance '" + i.name + "' did not finish in time",
                        "see '" + out_file + "' and '" + i.log_file + "'");
  }
  if (!st->ok()) {
    std::string tail = out_file.empty() ? "" : TailOfFile(out_file);
    return core::Status(core::ErrorCode::kUnreachable,
                        what + " of instance '" + i.name + "' failed: '" + core::JoinArgv(argv) +
                            "' " + st->Describe() + (tail.empty() ? "" : ": " + tail),
                        i.log_file.empty() ? "check the server log" : "see '" + i.log_file + "'");
  }
  return core::Status::Ok();
}

}  // namespace

std::vector<std::string> DefaultStartCommand(EngineKind engine, const Instance& i) {
  return LocalProfile(engine).default_start_command(i);
}

std::vector<std::string> DefaultStopCommand(EngineKind engine, const Instance& i) {
  return LocalProfile(engine).default_stop_command(i);
}

std::string InstancePidFile(EngineKind engine, const Instance& i) {
  return LocalProfile(engine).pid_file(i);
}

std::optional<pid_t> RunningPid(EngineKind engine, const Instance& i) {
  auto pid = core::ReadPidFile(InstancePidFile(engine, i));
  if (pid && core::ProcessAlive(*pid)) {
    return pid;
  }
  return std::nullopt;
}

std::vector<std::string> StartArgv(EngineKind engine, const Instance& i, StartMode mode) {
  auto argv = i.start_command.empty() ? DefaultStartCommand(engine, i) : i.start_command;
  if (mode == StartMode::kBootstrapNewCluster) {
    // Why appended to the resolved argv: an inventory without `start:` means "the default
    // command", so the flag belongs after `mariadbd --defaults-file=...`; on its own it is not
    // a program.
    argv.emplace_back("--wsrep-new-cluster");
  }
  return argv;
}

core::Status StartLocalInstance(EngineKind engine, const Instance& i,
                                std::chrono::milliseconds timeout, StartMode mode) {
  auto deadline = core::SystemClock::Get().Monotonic() + timeout;
  bool running = RunningPid(engine, i).has_value();
  if (!running) {
    HS_TRY(RunControlCommand(i, StartArgv(engine, i, mode), "start", timeout));
  }
  if (i.port > 0) {
    return core::WaitForTcp(i.host, i.port, Remaining(deadline), "instance '" + i.name + "'");
  }
  return core::Status::Ok();
}

core::Status StopLocalInstance(EngineKind engine, const Instance& i,
                               std::chrono::milliseconds timeout) {
  auto deadline = core::SystemClock::Get().Monotonic() + timeout;
  auto pid = RunningPid(engine, i);
  if (!pid) {
    return core::Status::Ok();
  }
  auto argv = i.stop_command.empty() ? DefaultStopCommand(engine, i) : i.stop_command;
  HS_TRY(RunControlCommand(i, argv, "stop", timeout));
  if (!core::WaitForExit(*pid, Remaining(deadline))) {
    return core::Status(core::ErrorCode::kTimeout,
                        "instance '" + i.name + "' (pid " + std::to_string(*pid) +
                            ") is still running after its stop command",
                        "check the server log; stop it by hand if it hangs");
  }
  return core::Status::Ok();
}

core::Status KillLocalInstance(EngineKind engine, const Instance& i,
                               std::chrono::milliseconds timeout) {
  auto pid = RunningPid(engine, i);
  if (!pid)
    return core::Status::Ok();
  if (::kill(*pid, SIGKILL) != 0 && errno != ESRCH) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "kill -9 of instance '" + i.name + "' (pid " + std::to_string(*pid) +
                            "): " + std::strerror(errno),
                        "run hasteward as root or as the server's OS user '" + i.os_user + "'");
  }
  if (!core::WaitForExit(*pid, timeout)) {
    return core::Status(
        core::ErrorCode::kTimeout,
        "instance '" + i.name + "' (pid " + std::to_string(*pid) + ") is still there after SIGKILL",
        "check the host: a process in uninterruptible I/O ends when its I/O does");
  }
  return core::Status::Ok();
}

core::Result<std::unique_ptr<core::Subprocess>> ExecLocal(const Instance& i,
                                                          core::SubprocessOptions options) {
  HS_TRY(core::RunAsOsUser(i.os_user, options));
  return core::Subprocess::Start(options);
}

}  // namespace hasteward::platform
