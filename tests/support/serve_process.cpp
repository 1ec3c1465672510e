#include "support/serve_process.h"

#include <csignal>
#include <thread>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/poll_until.h"
#include "support/command.h"

namespace hasteward::testing {

using namespace std::chrono_literals;

int FreeLoopbackPort() {
  core::UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Port 0: the kernel picks a free one, which getsockname reports; 0 when that fails.
  socklen_t len = sizeof(sa);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    return 0;
  }
  return ntohs(sa.sin_port);
}

std::string HttpGet(int port, const std::string& path) {
  core::UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0) {
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    ::send(fd.get(), req.data(), req.size(), 0);
    char buf[8192];
    for (ssize_t n; (n = ::recv(fd.get(), buf, sizeof(buf), 0)) > 0;)
      out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

ServeProcess::~ServeProcess() {
  Stop();
}

core::Status ServeProcess::Start(const std::string& config,
                                 const std::map<std::string, std::string>& env,
                                 const Options& options) {
  metrics_port_ = FreeLoopbackPort();
  health_port_ = FreeLoopbackPort();
  core::SubprocessOptions o;
  const std::vector<std::string> args = {"serve",
                                         "--config",
                                         config,
                                         "--tick-seconds",
                                         std::to_string(options.tick_seconds),
                                         "--shutdown-grace",
                                         std::to_string(options.grace_seconds),
                                         "--metrics-addr",
                                         "127.0.0.1:" + std::to_string(metrics_port_),
                                         "--health-addr",
                                         "127.0.0.1:" + std::to_string(health_port_),
                                         "--log-format",
                                         "json"};
  if (options.launcher) {
    o.argv = options.launcher(args, env);
  } else {
    o.argv = {HastewardBin()};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env_set = env;
  }
  o.stdout_mode = core::StdioMode::kNull;
  Stop();  // a restart: the previous serve goes first
  exit_code_.reset();
  HS_ASSIGN_OR_RETURN(process_, core::Subprocess::Start(o));
  if (!core::PollUntil(
          [&] { return HttpGet(health_port_, "/readyz").find(" 200 ") != std::string::npos; },
          options.ready_within)) {
    return {core::ErrorCode::kTimeout, "serve did not become ready: " + process_->StderrAll()};
  }
  return core::Status::Ok();
}

int ServeProcess::Stop() {
  if (!process_)
    return -2;
  if (exit_code_)
    return *exit_code_;
  process_->Signal(SIGTERM);
  auto st = process_->WaitFor(60s);
  if (!st) {
    process_->Signal(SIGKILL);
    process_->Wait();
  }
  exit_code_ = st ? st->exit_code : -2;
  return *exit_code_;
}

std::vector<std::string> ProcessCommandLines() {
  std::vector<std::string> out;
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), &::closedir);
  if (!proc)
    return out;
  while (dirent* e = ::readdir(proc.get())) {
    std::string pid = e->d_name;
    if (pid.find_first_not_of("0123456789") != std::string::npos)
      continue;
    // A process may exit between readdir and the read (the read then fails with ESRCH, which an
    // ifstream reports by throwing): it has no command line any more, skip it.
    auto read = core::ReadFileToString("/proc/" + pid + "/cmdline");
    if (!read.ok())
      continue;
    std::string cmd = std::move(read).value();
    for (auto& c : cmd)
      c = c == '\0' ? ' ' : c;
    if (!cmd.empty())
      out.push_back(pid.append(": ").append(cmd));
  }
  return out;
}

double MetricSample(const std::string& scrape, const std::string& name, const std::string& labels) {
  std::string key = name + "{" + labels + "} ";
  auto pos = scrape.find(key);
  return pos == std::string::npos ? -1 : std::stod(scrape.substr(pos + key.size()));
}

}  // namespace hasteward::testing
