#include "platform/local/instance_control.h"

#include <sstream>

#include "core/clock.h"
#include "core/fd.h"
#include "platform/local/process_util.h"

namespace hasteward::platform {

namespace {

std::string Bin(const Instance& i, const std::string& name) {
  return i.bin_dir.empty() ? name : i.bin_dir + "/" + name;
}

// The value of `pid-file` / `pid_file` in a my.cnf, or "".
std::string PidFileFromConfig(const std::string& config_file) {
  auto text = core::ReadFileToString(config_file);
  if (!text.ok()) {
    return "";
  }
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos)
      continue;
    std::string key = line.substr(0, eq);
    key.erase(key.find_last_not_of(" \t") + 1);
    if (key != "pid-file" && key != "pid_file")
      continue;
    std::string v = line.substr(eq + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    v.erase(v.find_last_not_of(" \t\r") + 1);
    return v;
  }
  return "";
}

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
  o.stdout_mode = core::StdioMode::kNull;
  o.stderr_mode = core::StdioMode::kNull;
  std::string out_file = i.log_file.empty() ? "" : i.log_file + "." + what;
  if (!out_file.empty()) {
    o.stderr_mode = core::StdioMode::kFile;
    o.stderr_file = out_file;
  }
  HS_TRY(RunAsOsUser(i.os_user, o));
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
  if (engine == EngineKind::kPostgres) {
    std::vector<std::string> argv{Bin(i, "pg_ctl"), "-D", i.data_dir, "-w", "-t", "60"};
    if (!i.log_file.empty()) {
      argv.insert(argv.end(), {"-l", i.log_file});
    }
    argv.push_back("start");
    return argv;
  }
  return {"setsid", "-f", Bin(i, "mariadbd"), "--defaults-file=" + i.config_file};
}

std::vector<std::string> DefaultStopCommand(EngineKind engine, const Instance& i) {
  if (engine == EngineKind::kPostgres) {
    return {Bin(i, "pg_ctl"), "-D", i.data_dir, "-w", "-t", "60", "stop", "-m", "fast"};
  }
  return {"sh", "-c", "kill -TERM \"$(cat \"$1\")\"", "stop", InstancePidFile(engine, i)};
}

std::string InstancePidFile(EngineKind engine, const Instance& i) {
  if (engine == EngineKind::kPostgres) {
    return i.data_dir + "/postmaster.pid";
  }
  std::string from_config = i.config_file.empty() ? "" : PidFileFromConfig(i.config_file);
  if (!from_config.empty()) {
    return from_config[0] == '/' ? from_config : i.data_dir + "/" + from_config;
  }
  return i.data_dir + "/mariadbd.pid";
}

std::optional<pid_t> RunningPid(EngineKind engine, const Instance& i) {
  auto pid = ReadPidFile(InstancePidFile(engine, i));
  if (pid && ProcessAlive(*pid)) {
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
    return WaitForTcp(i.host, i.port, Remaining(deadline), "instance '" + i.name + "'");
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
  if (!WaitForExit(*pid, Remaining(deadline))) {
    return core::Status(core::ErrorCode::kTimeout,
                        "instance '" + i.name + "' (pid " + std::to_string(*pid) +
                            ") is still running after its stop command",
                        "check the server log; stop it by hand if it hangs");
  }
  return core::Status::Ok();
}

core::Result<std::unique_ptr<core::Subprocess>> ExecLocal(const Instance& i,
                                                          core::SubprocessOptions options) {
  HS_TRY(RunAsOsUser(i.os_user, options));
  return core::Subprocess::Start(options);
}

}  // namespace hasteward::platform
