#include "platform/local/process_util.h"

#include <cerrno>
#include <functional>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/fd.h"

namespace hasteward::platform {

namespace {

constexpr std::chrono::milliseconds kPollInterval{25};

bool PollUntil(std::chrono::milliseconds timeout, const std::function<bool()>& done) {
  const auto& clock = core::SystemClock::Get();
  auto deadline = clock.Monotonic() + timeout;
  while (true) {
    if (done()) {
      return true;
    }
    if (clock.Monotonic() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace

core::Result<OsUser> LookupOsUser(const std::string& name) {
  struct passwd pw {};
  struct passwd* result = nullptr;
  std::vector<char> buf(16384);
  int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &result);
  if (rc != 0 || result == nullptr) {
    return core::NotFound("os user '" + name + "' does not exist",
                          "create the user or change osUser in the inventory");
  }
  return OsUser{pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir};
}

OsUser CurrentOsUser() {
  struct passwd pw {};
  struct passwd* result = nullptr;
  std::vector<char> buf(16384);
  uid_t uid = ::geteuid();
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &result) != 0 || result == nullptr) {
    return OsUser{uid, ::getegid(), std::to_string(uid), "/"};
  }
  return OsUser{pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir};
}

bool RunningAsRoot() {
  return ::geteuid() == 0;
}

core::Status RunAsOsUser(const std::string& os_user, core::SubprocessOptions& options) {
  if (os_user.empty() || !RunningAsRoot()) {
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(OsUser u, LookupOsUser(os_user));
  if (u.uid == 0) {
    return core::Status::Ok();
  }
  options.uid = u.uid;
  options.gid = u.gid;
  options.env_set["HOME"] = u.home;
  options.env_set["USER"] = u.name;
  options.env_set["LOGNAME"] = u.name;
  if (options.cwd.empty()) {
    options.cwd = "/";
  }
  return core::Status::Ok();
}

bool TcpAccepts(const std::string& host, int port) {
  core::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &addr.sin_addr) != 1) {
    return false;
  }
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
}

core::Status WaitForTcp(const std::string& host, int port, std::chrono::milliseconds timeout,
                        const std::string& what) {
  if (PollUntil(timeout, [&] { return TcpAccepts(host, port); })) {
    return core::Status::Ok();
  }
  return core::Status(core::ErrorCode::kTimeout,
                      what + " did not accept connections on " + host + ":" + std::to_string(port) +
                          " within " + std::to_string(timeout.count() / 1000) + "s",
                      "check the server log");
}

std::optional<pid_t> ReadPidFile(const std::string& path) {
  auto text = core::ReadFileToString(path);
  if (!text.ok()) {
    return std::nullopt;
  }
  try {
    long pid = std::stol(*text);
    return pid > 0 ? std::optional<pid_t>(static_cast<pid_t>(pid)) : std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) {
    return false;
  }
  auto stat = core::ReadFileToString("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) {
    return false;
  }
  auto close = stat->rfind(')');
  return close == std::string::npos || close + 2 >= stat->size() || (*stat)[close + 2] != 'Z';
}

bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout) {
  return PollUntil(timeout, [pid] { return !ProcessAlive(pid); });
}

bool TerminateProcess(pid_t pid, std::chrono::milliseconds grace) {
  if (!ProcessAlive(pid)) {
    return true;
  }
  ::kill(pid, SIGTERM);
  if (WaitForExit(pid, grace)) {
    return true;
  }
  ::kill(pid, SIGKILL);
  return WaitForExit(pid, std::chrono::seconds(5));
}

std::vector<pid_t> ProcessesMentioning(const std::string& needle) {
  std::vector<pid_t> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) {
    return out;
  }
  while (dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || pid == ::getpid()) {
      continue;
    }
    auto cmd = core::ReadFileToString("/proc/" + std::string(e->d_name) + "/cmdline");
    if (!cmd.ok() || cmd->find(needle) == std::string::npos) {
      continue;
    }
    if (ProcessAlive(static_cast<pid_t>(pid))) {
      out.push_back(static_cast<pid_t>(pid));
    }
  }
  ::closedir(dir);
  return out;
}

}  // namespace hasteward::platform
