#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "cli/cli.h"

namespace hasteward::cli {

// Progress of a long operation on stderr: a single refreshed line on a terminal (bytes, rate, ETA
// when the total is known), nothing when stderr is not a terminal, JSON lines with --progress json.
class ProgressPrinter {
 public:
  ProgressPrinter(const GlobalOptions& g, std::string verb);
  void Update(uint64_t done, uint64_t total, double seconds);
  // Clears the terminal line.
  void Finish();
  bool enabled() const { return mode_ != Mode::kOff; }

 private:
  enum class Mode { kOff, kTerminal, kJson };
  Mode mode_ = Mode::kOff;
  std::string verb_;
  bool printed_ = false;
};

// "1.23 GiB"
std::string HumanBytes(uint64_t bytes);

}  // namespace hasteward::cli
