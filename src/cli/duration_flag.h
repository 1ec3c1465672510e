#pragma once

#include <chrono>
#include <string>

#include "core/status.h"

namespace hasteward::cli {

// A duration flag: "90", "90s", "10m", "1h" -> seconds. kUsage naming the flag for anything else,
// and for 0 unless `allow_zero` (e.g. --retry-lock 0: do not wait).
core::Result<std::chrono::seconds> ParseDuration(const std::string& flag, const std::string& text,
                                                 bool allow_zero = false);

}  // namespace hasteward::cli
