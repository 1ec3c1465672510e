#include "core/failpoint.h"

#include <atomic>
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
    const char* v = std::getenv("HASTEWARD_FAILPOINT");  // NOLINT(concurrency-mt-unsafe)
    if (v == nullptr)
      return c;
    std::string s(v);
    auto colon = s.find(':');
    c.name = s.substr(0, colon);
    if (colon != std::string::npos)
      c.target = std::atoi(s.c_str() + colon + 1);
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
