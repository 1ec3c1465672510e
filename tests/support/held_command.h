// A hasteward command run in the background with a failpoint that holds it at a known step
// (core/failpoint.h: ":pause" until a stop signal, ":stall" for a few seconds, ":hold" until the
// release file exists), for tests that act
// while it is held: signal it, kill a server process under it, look at what it has made so far.
//
//   auto run = HeldCommand::Start({"backup", ...}, env, "base-backup-streaming:stall", err_path);
//   ASSERT_TRUE(run->WaitUntilHeld()) << run->err();
//   ... act ...
//   auto exited = run->WaitForExit(std::chrono::seconds(120));
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/subprocess.h"

namespace hasteward::testing {

class HeldCommand {
 public:
  // Starts HastewardBin() with `args`, the environment `env` plus HASTEWARD_FAILPOINT=`failpoint`,
  // stdout discarded and stderr written to `err_file`.
  static core::Result<std::unique_ptr<HeldCommand>> Start(
      const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
      const std::string& failpoint, const std::string& err_file);

  // Waits until the failpoint's "paused (pid" / "stalled (pid" / "held (pid" line is on stderr;
  // false when the command ended or `timeout` passed first.
  bool WaitUntilHeld(std::chrono::milliseconds timeout = std::chrono::seconds(120));
  std::optional<core::ExitStatus> WaitForExit(std::chrono::milliseconds timeout);
  // Its stderr so far.
  std::string err() const;
  pid_t pid() const { return process_->pid(); }

 private:
  HeldCommand(std::unique_ptr<core::Subprocess> process, std::string err_file)
      : process_(std::move(process)), err_file_(std::move(err_file)) {}

  std::unique_ptr<core::Subprocess> process_;
  std::string err_file_;
};

}  // namespace hasteward::testing
