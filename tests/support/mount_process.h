// A real `hasteward mount` in the background for integration tests: started with the test's
// environment, waited for until the kernel lists the mountpoint, stopped with a signal by Stop()
// or the destructor (which also detaches a mount a killed process left behind).
//
//   auto mount = MountProcess::Start({"--snapshot", id}, mountpoint, hs.vars());
//   ASSERT_TRUE(mount.ok()) << mount.status().ToString();
//   ... read files below mountpoint ...
//   EXPECT_EQ((*mount)->Stop(SIGTERM), 0);
#pragma once

#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/subprocess.h"

namespace hasteward::testing {

// Why FUSE mounts cannot be tested here ("" when they can): no /dev/fuse, or no fusermount3.
std::string FuseUnavailableReason();

// True when `path` is a mountpoint in this process's mount namespace (/proc/self/mountinfo).
bool IsMountpoint(const std::string& path);

// True when a FUSE mount of hasteward is at `dir` or below it. Tests look only below their own
// directories: another test running beside them may hold a mount of its own.
bool HastewardFuseMountUnder(const std::string& dir);

class MountProcess {
 public:
  // Runs `hasteward mount <args...> <mountpoint>` with `env` and waits (60 s) until the
  // mountpoint is mounted. An error carries the command's stderr when it exited first.
  static core::Result<std::unique_ptr<MountProcess>> Start(
      const std::vector<std::string>& args, const std::string& mountpoint,
      const std::map<std::string, std::string>& env);
  ~MountProcess();
  MountProcess(const MountProcess&) = delete;
  MountProcess& operator=(const MountProcess&) = delete;

  // Sends `sig` and waits (60 s): the exit code, -1 when a signal killed it, -2 when it did not
  // exit (it is then killed and the mount detached).
  int Stop(int sig = SIGTERM);
  std::string err() const { return process_->StderrAll(); }
  pid_t pid() const { return process_->pid(); }

 private:
  MountProcess(std::unique_ptr<core::Subprocess> process, std::string mountpoint)
      : process_(std::move(process)), mountpoint_(std::move(mountpoint)) {}

  std::unique_ptr<core::Subprocess> process_;
  std::string mountpoint_;
  bool stopped_ = false;
};

}  // namespace hasteward::testing
