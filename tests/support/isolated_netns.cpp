#include "support/isolated_netns.h"

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>

#include "core/poll_until.h"
#include "support/command.h"

namespace hasteward::testing {
namespace {

std::string NsOf(const std::string& path) {
  std::error_code error;
  return std::filesystem::read_symlink(path, error).string();
}

// socket/bind/listen on 127.0.0.1:0 in the calling thread's network namespace.
core::Result<core::UniqueFd> ListenHere() {
  core::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // NOLINTNEXTLINE(*-reinterpret-cast): the sockets API takes sockaddr*
  if (!fd.valid() || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd.get(), 128) != 0) {
    return core::ErrnoStatus("listen on 127.0.0.1 in the isolated namespace", errno);
  }
  return fd;
}

}  // namespace

core::Result<std::unique_ptr<IsolatedNetns>> IsolatedNetns::Start() {
  core::SubprocessOptions options;
  options.argv = {"unshare", "--net", "--", "sleep", "3600"};
  options.stdout_mode = core::StdioMode::kNull;
  HS_ASSIGN_OR_RETURN(auto holder, core::Subprocess::Start(options));
  std::unique_ptr<IsolatedNetns> netns(new IsolatedNetns(std::move(holder)));
  const std::string own = NsOf("/proc/self/ns/net");
  if (!core::PollUntil(
          [&] { return NsOf(netns->NsPath()) != own && !NsOf(netns->NsPath()).empty(); },
          std::chrono::seconds(10))) {
    return core::Internal("unshare --net did not make a network namespace: " +
                          netns->holder_->StderrTail());
  }
  std::vector<std::string> up = netns->EnterPrefix();
  up.insert(up.end(), {"ip", "link", "set", "lo", "up"});
  CmdResult result = RunCommand(up);
  if (result.exit_code != 0) {
    return core::Internal("loopback up in the isolated namespace: " + result.err);
  }
  return netns;
}

IsolatedNetns::~IsolatedNetns() {
  holder_->Signal(SIGKILL);
  holder_->Wait();
}

std::string IsolatedNetns::NsPath() const {
  return "/proc/" + std::to_string(holder_->pid()) + "/ns/net";
}

std::vector<std::string> IsolatedNetns::EnterPrefix() const {
  return {"nsenter", "--net=" + NsPath(), "--"};
}

// setns() moves only the calling thread: a thread of its own enters, makes the socket (which
// stays in the namespace it was made in) and ends, so no other thread of the test moves.
core::Result<core::UniqueFd> IsolatedNetns::ListenOnLoopback() const {
  core::Result<core::UniqueFd> made = core::Internal("not run");
  std::thread inside([&] {
    core::UniqueFd target(::open(NsPath().c_str(), O_RDONLY | O_CLOEXEC));
    if (!target.valid() || ::setns(target.get(), CLONE_NEWNET) != 0) {
      made = core::ErrnoStatus("setns into " + NsPath(), errno);
      return;
    }
    made = ListenHere();
  });
  inside.join();
  return made;
}

}  // namespace hasteward::testing
