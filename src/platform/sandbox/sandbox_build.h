// Internal to the sandbox: the state of one `sandbox up` while it runs, and the file and command
// helpers the per-engine builders share.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "platform/platform.h"
#include "platform/sandbox.h"

namespace hasteward::platform::sandbox {

inline constexpr char kMarkerFile[] = ".hasteward-sandbox";

struct SandboxBuild {
  SandboxSpec spec;
  std::string cluster_dir;  // <state_dir>/<ns>/<name>
  std::string os_user;      // server OS user ("" = this process's user)
  Cluster cluster;          // filled in as instances are made

  std::string InstanceDir(int ordinal) const;
  std::string InstanceName(int ordinal) const;
};

// 24 random alphanumeric characters from /dev/urandom.
core::Result<std::string> GeneratePassword();

// Writes `text` to `path` with `mode`, owned by `owner` ("" = leave as is).
core::Status WriteFile(const std::string& path, const std::string& text, unsigned mode,
                       const std::string& owner = "");

// mkdir (parents must exist) with `mode`, owned by `owner` ("" = leave as is).
core::Status MakeOwnedDir(const std::string& path, unsigned mode, const std::string& owner);

// The directory an instance's Unix socket goes in: `preferred` when `preferred/<longest_file>`
// fits the kernel's limit for a socket path (107 bytes), else a short directory in /tmp named
// after `preferred` (see SocketFallbackDirOf). A deep state directory (verify nests a scratch
// sandbox in its own) must not keep a server from listening.
std::string SocketDirFor(const std::string& preferred, const std::string& longest_file);
// The fallback directory SocketDirFor chose that `socket_path` lies in; "" when it lies in none
// (it is then inside the cluster directory and goes with it).
std::string SocketFallbackDirOf(const std::string& socket_path);

// MakeOwnedDir for a directory SocketDirFor chose in /tmp, where anyone may have made the name
// first: an existing entry must be a real directory (not a symlink) owned by this process's user
// or `owner`, else kAlreadyExists naming it, before anything is chmod- or chowned there.
core::Status MakeSocketFallbackDir(const std::string& path, unsigned mode,
                                   const std::string& owner);

// Fails with a hint when `os_user` could not reach `path` (a parent lacks search permission).
core::Status CheckReachable(const std::string& path, const std::string& os_user);

// Runs argv to completion as `os_user` (stdin from `input`), returning stdout; a failure names
// the command and its stderr tail. `input` may hold secrets: it never reaches an error text.
core::Result<std::string> RunAs(const std::string& os_user, std::vector<std::string> argv,
                                const std::optional<std::string>& input = {},
                                const std::map<std::string, std::string>& env = {});

// Polls `probe` every 50 ms until it returns true or an error; kTimeout naming `what`.
core::Status PollFor(const std::string& what, std::chrono::milliseconds timeout,
                     const std::function<core::Result<bool>()>& probe);

// Engine builders: make, start and wire up every instance of b.cluster.
core::Status BuildPostgres(SandboxBuild& b);
core::Status BuildMariadbReplication(SandboxBuild& b);
core::Status BuildGalera(SandboxBuild& b);

}  // namespace hasteward::platform::sandbox
