#include "core/failpoint.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include <signal.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/stop_signal.h"

namespace hasteward::core {

namespace {
enum class Action { kKill, kPause, kStall, kHold, kFail };

struct Config {
  std::string name;
  int target = 1;
  Action action = Action::kKill;
};

[[noreturn]] void BadSpec(const char* spec) {
  std::fprintf(
      stderr,
      "HASTEWARD_FAILPOINT='%s': expected <name>[:<count>][:pause|:stall|:hold|:fail]; the "
      "count after ':' "
      "must be 1..1000000\n",
      spec);
  std::_Exit(2);
}

// Parses "<count>" (1..1000000) into `target`; false if it is not a count.
bool ParseCount(const std::string& text, int* target) {
  char* end = nullptr;
  long n = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || n < 1 || n > 1000000)
    return false;
  *target = static_cast<int>(n);
  return true;
}

const Config& GetConfig() {
  static const Config kConfig = [] {
    Config c;
    const char* v = std::getenv("HASTEWARD_FAILPOINT");
    if (v == nullptr)
      return c;
    std::string s(v);
    auto colon = s.find(':');
    c.name = s.substr(0, colon);
    std::string rest = colon == std::string::npos ? "" : s.substr(colon + 1);
    // A typo must not silently disarm a crash test: anything unparsable is fatal.
    if (rest.empty() && colon != std::string::npos)
      BadSpec(v);
    if (!rest.empty()) {
      auto second = rest.find(':');
      std::string first = rest.substr(0, second);
      std::string action = second == std::string::npos ? "" : rest.substr(second + 1);
      if (!ParseCount(first, &c.target)) {
        if (second != std::string::npos)
          BadSpec(v);
        action = first;
      }
      if (action == "pause") {
        c.action = Action::kPause;
      } else if (action == "stall") {
        c.action = Action::kStall;
      } else if (action == "hold") {
        c.action = Action::kHold;
      } else if (action == "fail") {
        c.action = Action::kFail;
      } else if (!action.empty() && action != "kill") {
        BadSpec(v);
      }
    }
    return c;
  }();
  return kConfig;
}

std::atomic<int> g_hits{0};
}  // namespace

void Failpoint(const char* name) {
  const Config& c = GetConfig();
  if (c.name.empty() || c.name != name || c.action == Action::kFail)
    return;
  if (++g_hits != c.target)
    return;
  if (c.action == Action::kKill) {
    ::kill(::getpid(), SIGKILL);
  }
  // Pause: hold this step until a stop signal arrives, so a test can signal the process at a known
  // point; then the caller continues and meets its next stop check. Stall: hold it a few seconds
  // while the test acts on something else, then go on as if nothing happened here. Hold: like
  // stall, but until the test says it is done (the release file exists), so what the test changed
  // is in place whatever the machine's load.
  const char* verb = c.action == Action::kStall  ? "stalled"
                     : c.action == Action::kHold ? "held"
                                                 : "paused";
  std::fprintf(stderr, "hasteward: failpoint '%s' %s (pid %d)\n", name, verb,
               static_cast<int>(::getpid()));
  std::fflush(stderr);
  const Clock& clock = SystemClock::Get();
  const auto until = clock.Monotonic() + (c.action == Action::kHold
                                              ? std::chrono::seconds(kFailpointHoldSeconds)
                                              : std::chrono::seconds(kFailpointStallSeconds));
  const char* release = std::getenv("HASTEWARD_FAILPOINT_RELEASE");
  while (StopSignal() == 0) {
    if (c.action != Action::kPause && clock.Monotonic() >= until)
      break;
    if (c.action == Action::kHold && release != nullptr && ::access(release, F_OK) == 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool FailpointFails(const char* name) {
  const Config& c = GetConfig();
  if (c.name.empty() || c.name != name || c.action != Action::kFail)
    return false;
  return ++g_hits == c.target;
}

}  // namespace hasteward::core
