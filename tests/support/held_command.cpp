#include "support/held_command.h"

#include <fstream>
#include <iterator>

#include "core/clock.h"
#include "support/command.h"

namespace hasteward::testing {

core::Result<std::unique_ptr<HeldCommand>> HeldCommand::Start(
    const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
    const std::string& failpoint, const std::string& err_file) {
  core::SubprocessOptions options;
  options.argv = args;
  options.argv.insert(options.argv.begin(), HastewardBin());
  options.env_set = env;
  options.env_set["HASTEWARD_FAILPOINT"] = failpoint;
  options.stdout_mode = core::StdioMode::kNull;
  options.stderr_mode = core::StdioMode::kFile;
  options.stderr_file = err_file;
  HS_ASSIGN_OR_RETURN(auto process, core::Subprocess::Start(options));
  return std::unique_ptr<HeldCommand>(new HeldCommand(std::move(process), err_file));
}

bool HeldCommand::WaitUntilHeld(std::chrono::milliseconds timeout) {
  const core::Clock& clock = core::SystemClock::Get();
  const auto deadline = clock.Monotonic() + timeout;
  for (;;) {
    std::string text = err();
    if (text.find("paused (pid") != std::string::npos ||
        text.find("stalled (pid") != std::string::npos ||
        text.find("held (pid") != std::string::npos) {
      return true;
    }
    if (clock.Monotonic() >= deadline || process_->WaitFor(std::chrono::milliseconds(50))) {
      return false;
    }
  }
}

std::optional<core::ExitStatus> HeldCommand::WaitForExit(std::chrono::milliseconds timeout) {
  return process_->WaitFor(timeout);
}

std::string HeldCommand::err() const {
  std::ifstream file(err_file_);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

}  // namespace hasteward::testing
