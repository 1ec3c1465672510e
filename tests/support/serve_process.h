// A real `hasteward serve` for integration tests: started on free loopback ports with a fast
// scheduler clock (--tick-seconds), its metrics scraped and health probed over real HTTP, stopped
// with SIGTERM by Stop() or the destructor.
//
//   ServeProcess serve;
//   ASSERT_TRUE(serve.Start(config_path, hs.vars(), {.tick_seconds = 1}).ok());
//   ASSERT_TRUE(core::PollUntil([&] { return serve.Metrics().find("...") != npos; }, 60s));
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/subprocess.h"

namespace hasteward::testing {

// A TCP port on 127.0.0.1 that nothing listens on right now.
int FreeLoopbackPort();

// GET http://127.0.0.1:port/path over a plain socket: the raw response, "" when nothing answers.
std::string HttpGet(int port, const std::string& path);

class ServeProcess {
 public:
  struct Options {
    double tick_seconds = 2;  // real seconds per scheduler minute
    int grace_seconds = 30;   // --shutdown-grace
    // How long Start() waits for /readyz (a container starts slower than a process).
    std::chrono::seconds ready_within{20};
    // How serve is started: unset runs HastewardBin() here with `env`; the image test runs the
    // same arguments in the container image (ContainerImage::RunArgv), the environment passed in.
    std::function<std::vector<std::string>(const std::vector<std::string>& args,
                                           const std::map<std::string, std::string>& env)>
        launcher = nullptr;
  };

  ServeProcess() = default;
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // Starts (or restarts) `hasteward serve --config config --log-format json` with `env` and waits
  // (Options::ready_within) until /readyz answers 200.
  core::Status Start(const std::string& config, const std::map<std::string, std::string>& env,
                     const Options& options);
  // SIGTERM and wait (60 s): serve's exit code, -2 when it did not stop (then SIGKILL). Logs()
  // stay readable afterwards.
  int Stop();

  std::string Metrics() const { return HttpGet(metrics_port_, "/metrics"); }
  int health_port() const { return health_port_; }
  // Everything serve logged so far (JSON lines).
  std::string Logs() const { return process_ ? process_->StderrAll() : ""; }
  core::Subprocess& process() { return *process_; }

 private:
  std::unique_ptr<core::Subprocess> process_;
  std::optional<int> exit_code_;  // set once stopped
  int metrics_port_ = 0;
  int health_port_ = 0;
};

// "<pid>: <command line>" (NULs as spaces) of every process now, from /proc/<pid>/cmdline:
// what any local user can read (stray children, secrets on command lines).
std::vector<std::string> ProcessCommandLines();

// The value of the sample `name{labels}` in a Prometheus scrape, or -1 when it is absent.
double MetricSample(const std::string& scrape, const std::string& name, const std::string& labels);

}  // namespace hasteward::testing
