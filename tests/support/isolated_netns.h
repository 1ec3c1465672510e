// A network namespace of its own (only its loopback, up) held by a child process, for tests in
// which a command may reach one server and nothing else: the server's listening socket is made
// inside it (ListenOnLoopback), the command runs inside it (EnterPrefix), and everything else the
// test starts stays on the root namespace's loopback, which the command cannot reach.
//
//   auto netns = IsolatedNetns::Start();
//   auto fd = (*netns)->ListenOnLoopback();          // hand it to the server
//   env.SetCommandPrefix((*netns)->EnterPrefix());   // hasteward runs inside
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/fd.h"
#include "core/status.h"
#include "core/subprocess.h"

namespace hasteward::testing {

class IsolatedNetns {
 public:
  // Needs root (unshare -n, nsenter, ip).
  static core::Result<std::unique_ptr<IsolatedNetns>> Start();
  ~IsolatedNetns();
  IsolatedNetns(const IsolatedNetns&) = delete;
  IsolatedNetns& operator=(const IsolatedNetns&) = delete;

  // A socket bound to 127.0.0.1:<free port> inside the namespace, listening.
  core::Result<core::UniqueFd> ListenOnLoopback() const;
  // {"nsenter", "--net=/proc/PID/ns/net", "--"}: put before a command's argv.
  std::vector<std::string> EnterPrefix() const;

 private:
  explicit IsolatedNetns(std::unique_ptr<core::Subprocess> holder) : holder_(std::move(holder)) {}
  std::string NsPath() const;
  std::unique_ptr<core::Subprocess> holder_;
};

}  // namespace hasteward::testing
