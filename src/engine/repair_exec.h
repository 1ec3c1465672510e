// Small helpers shared by the heal flows: a shell snippet run where an instance lives (as its OS
// user, arguments as $1.., secrets only on stdin), and a poll loop with a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::engine {

// One shell snippet for RunScript: `sh -c text repair args...`.
struct Script {
  std::string what;  // names the step in errors ("move data aside")
  std::string text;  // the snippet; its arguments are $1..
  std::vector<std::string> args = {};
  // Written to stdin (secrets go here, never into args).
  std::optional<std::string> input = std::nullopt;
  // How long the platform may wait for a place to run it while the instance is stopped
  // (InstanceHandle::set_exec_start_timeout); heals pass their --heal-timeout.
  std::chrono::milliseconds exec_start_timeout = platform::InstanceHandle::kDefaultStartTimeout;
};

// Runs `script` via Platform::Exec where `instance` lives. Returns stdout; a non-zero exit is
// kInternal naming `script.what` and the stderr tail.
core::Result<std::string> RunScript(platform::Platform& platform, const platform::Cluster& cluster,
                                    const platform::Instance& instance, const Script& script);
// The same on an opened handle; its exec start timeout is the script's for this call only.
core::Result<std::string> RunScript(platform::InstanceHandle& handle, const Script& script);

}  // namespace hasteward::engine
