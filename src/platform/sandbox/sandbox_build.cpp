#include "platform/sandbox/sandbox_build.h"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <functional>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/os_user.h"
#include "core/wait_for.h"

namespace hasteward::platform::sandbox {

std::string SandboxBuild::InstanceDir(int ordinal) const {
  return cluster_dir + "/" + InstanceName(ordinal);
}

std::string SandboxBuild::InstanceName(int ordinal) const {
  return spec.name + "-" + std::to_string(ordinal);
}

core::Result<std::string> GeneratePassword() {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  core::UniqueFd fd(::open("/dev/urandom", O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return core::ErrnoStatus("open '/dev/urandom'", errno);
  }
  uint8_t raw[24];
  size_t got = 0;
  while (got < sizeof(raw)) {
    HS_ASSIGN_OR_RETURN(size_t n,
                        core::ReadSome(fd.get(), std::span<uint8_t>(raw + got, sizeof(raw) - got)));
    if (n == 0)
      return core::Internal("short read from '/dev/urandom'");
    got += n;
  }
  std::string out;
  for (uint8_t b : raw)
    out += kAlphabet[b % (sizeof(kAlphabet) - 1)];
  return out;
}

namespace {

core::Status Chown(const std::string& path, const std::string& owner) {
  if (owner.empty() || !core::RunningAsRoot()) {
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(core::OsUser u, core::LookupOsUser(owner));
  if (::chown(path.c_str(), u.uid, u.gid) != 0) {
    return core::ErrnoStatus("chown '" + path + "' to '" + owner + "'", errno);
  }
  return core::Status::Ok();
}

}  // namespace

core::Status WriteFile(const std::string& path, const std::string& text, unsigned mode,
                       const std::string& owner) {
  core::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) {
    return core::ErrnoStatus("create '" + path + "'", errno);
  }
  if (::fchmod(fd.get(), mode) != 0) {
    return core::ErrnoStatus("chmod '" + path + "'", errno);
  }
  HS_TRY(core::WriteAll(fd.get(), core::AsBytes(text)));
  return Chown(path, owner);
}

core::Status MakeOwnedDir(const std::string& path, unsigned mode, const std::string& owner) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return core::ErrnoStatus("create directory '" + path + "'", errno);
  }
  if (::chmod(path.c_str(), mode) != 0) {
    return core::ErrnoStatus("chmod '" + path + "'", errno);
  }
  return Chown(path, owner);
}

core::Status MakeSocketFallbackDir(const std::string& path, unsigned mode,
                                   const std::string& owner) {
  if (::mkdir(path.c_str(), mode) != 0) {
    if (errno != EEXIST)
      return core::ErrnoStatus("create directory '" + path + "'", errno);
    // chmod and chown follow symlinks: a name planted in /tmp must not redirect them.
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0)
      return core::ErrnoStatus("stat '" + path + "'", errno);
    bool ours = st.st_uid == ::geteuid();
    if (!ours && !owner.empty()) {
      HS_ASSIGN_OR_RETURN(core::OsUser u, core::LookupOsUser(owner));
      ours = st.st_uid == u.uid;
    }
    if (!S_ISDIR(st.st_mode) || !ours) {
      return core::Status(
          core::ErrorCode::kAlreadyExists,
          "socket directory '" + path + "' exists and is not a directory of this sandbox's users",
          "remove it, or use a shorter state directory (HASTEWARD_STATE_DIR)");
    }
  }
  return MakeOwnedDir(path, mode, owner);
}

core::Status CheckReachable(const std::string& path, const std::string& os_user) {
  if (os_user.empty() || !core::RunningAsRoot()) {
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(core::OsUser u, core::LookupOsUser(os_user));
  for (auto p = std::filesystem::path(path); !p.empty() && p != p.root_path();
       p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      continue;  // not made yet
    }
    bool ok = (st.st_mode & S_IXOTH) != 0 || (st.st_uid == u.uid && (st.st_mode & S_IXUSR)) ||
              (st.st_gid == u.gid && (st.st_mode & S_IXGRP));
    if (!ok) {
      return core::Usage("os user '" + os_user + "' cannot reach '" + p.string() + "'",
                         "chmod o+x '" + p.string() +
                             "', or set HASTEWARD_STATE_DIR to a directory other users can "
                             "traverse (the database servers run as '" +
                             os_user + "')");
    }
  }
  return core::Status::Ok();
}

core::Result<std::string> RunAs(const std::string& os_user, std::vector<std::string> argv,
                                const std::optional<std::string>& input,
                                const std::map<std::string, std::string>& env) {
  core::SubprocessOptions o;
  o.argv = std::move(argv);
  o.env_set = env;
  HS_TRY(core::RunAsOsUser(os_user, o));
  return core::RunChecked(std::move(o), input);
}

core::Status PollFor(const std::string& what, std::chrono::milliseconds timeout,
                     const std::function<core::Result<bool>()>& probe) {
  return core::WaitFor(what, timeout, probe,
                       {.interval = std::chrono::milliseconds(50),
                        .hint = "check the instance logs under the sandbox directory"});
}

namespace {

constexpr size_t kMaxSocketPath = 107;  // sun_path holds 108 bytes with the terminating NUL
constexpr char kSocketFallbackPrefix[] = "/tmp/hasteward-sock-";

}  // namespace

std::string SocketDirFor(const std::string& preferred, const std::string& longest_file) {
  if (preferred.size() + 1 + longest_file.size() <= kMaxSocketPath)
    return preferred;
  // One directory per instance directory: the hash of its path keeps sandboxes apart.
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(std::hash<std::string>{}(preferred)));
  return std::string(kSocketFallbackPrefix) + hex;
}

std::string SocketFallbackDirOf(const std::string& socket_path) {
  const std::string prefix = kSocketFallbackPrefix;
  if (socket_path.compare(0, prefix.size(), prefix) != 0)
    return "";
  return socket_path.substr(0, socket_path.find('/', prefix.size()));
}

}  // namespace hasteward::platform::sandbox
