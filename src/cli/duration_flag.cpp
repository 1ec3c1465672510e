#include "cli/duration_flag.h"

#include <cstdlib>

namespace hasteward::cli {

core::Result<std::chrono::seconds> ParseDuration(const std::string& flag, const std::string& text,
                                                 bool allow_zero) {
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  std::string unit = end == nullptr ? "" : end;
  long multiplier = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
  if (value < 0 || (value == 0 && !allow_zero) || multiplier < 0 || end == text.c_str()) {
    return core::Usage("invalid " + flag + " '" + text + "'",
                       "use a duration such as 90s, 10m or 1h");
  }
  return std::chrono::seconds(value * multiplier);
}

}  // namespace hasteward::cli
