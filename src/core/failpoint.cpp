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
enum class Action { kKill, kPause, kStall, kFail };

struct Config {
  std::string name;
  int target = 1;
  Action action = Action::kKill;
};

[[noreturn]] void BadSpec(const char* spec) {
  std::fprintf(stderr,
               "HASTEWARD_FAILPOINT='%s': expected <name>[:<count>][:pause|:stall|:fail]; the "
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
  // while the test acts on something else, then go on as if nothing happened here.
  bool stall = c.action == Action::kStall;
  std::fprintf(stderr, "hasteward: failpoint '%s' %s (pid %d)\n", name,
               stall ? "stalled" : "paused", static_cast<int>(::getpid()));
  std::fflush(stderr);
  const Clock& clock = SystemClock::Get();
  const auto until = clock.Monotonic() + std::chrono::seconds(kFailpointStallSeconds);
  while (StopSignal() == 0 && (!stall || clock.Monotonic() < until)) {
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
