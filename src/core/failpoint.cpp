#include "core/failpoint.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <signal.h>
#include <unistd.h>

namespace hasteward::core {

namespace {
struct Config {
  std::string name;
  int target = 1;
};

const Config& GetConfig() {
  static const Config kConfig = [] {
    Config c;
    const char* v = std::getenv("HASTEWARD_FAILPOINT");
    if (v == nullptr)
      return c;
    std::string s(v);
    auto colon = s.find(':');
    c.name = s.substr(0, colon);
    if (colon != std::string::npos) {
      // A typo must not silently disarm a crash test: anything but a positive count is fatal.
      const char* count = s.c_str() + colon + 1;
      char* end = nullptr;
      long n = std::strtol(count, &end, 10);
      if (*count == '\0' || *end != '\0' || n < 1 || n > 1000000) {
        std::fprintf(stderr, "HASTEWARD_FAILPOINT='%s': the count after ':' must be 1..1000000\n",
                     v);
        std::_Exit(2);
      }
      c.target = static_cast<int>(n);
    }
    return c;
  }();
  return kConfig;
}

std::atomic<int> g_hits{0};
}  // namespace

void Failpoint(const char* name) {
  const Config& c = GetConfig();
  if (c.name.empty() || c.name != name)
    return;
  if (++g_hits == c.target) {
    ::kill(::getpid(), SIGKILL);
  }
}

}  // namespace hasteward::core
