#include "cli/progress.h"

#include <cstdio>

#include <unistd.h>

#include "cli/json_messages.h"

namespace hasteward::cli {

std::string HumanBytes(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.2f %s", v, kUnits[u]);
  return buf;
}

ProgressPrinter::ProgressPrinter(const GlobalOptions& g, std::string verb)
    : verb_(std::move(verb)) {
  if (g.progress == "json") {
    mode_ = Mode::kJson;
  } else if (g.progress == "always" || (g.progress == "auto" && !g.quiet && ::isatty(2) != 0)) {
    mode_ = Mode::kTerminal;
  }
}

void ProgressPrinter::Update(uint64_t done, uint64_t total, double seconds) {
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  if (mode_ == Mode::kJson) {
    PrintJsonLine(stderr, ProgressStatusMessage{.action = verb_,
                                                .bytes_done = done,
                                                .total_bytes = total,
                                                .seconds_elapsed = seconds,
                                                .bytes_per_second = rate});
    return;
  }
  if (mode_ != Mode::kTerminal)
    return;
  std::string eta;
  if (total > done && rate > 0) {
    auto secs = static_cast<uint64_t>(static_cast<double>(total - done) / rate);
    char buf[32];
    std::snprintf(buf, sizeof(buf), " ETA %llu:%02llu", static_cast<unsigned long long>(secs / 60),
                  static_cast<unsigned long long>(secs % 60));
    eta = buf;
  }
  std::string of = total > 0 ? " / " + HumanBytes(total) : "";
  std::fprintf(stderr, "\r\033[K%s %s%s  %s/s%s", verb_.c_str(), HumanBytes(done).c_str(),
               of.c_str(), HumanBytes(static_cast<uint64_t>(rate)).c_str(), eta.c_str());
  printed_ = true;
}

void ProgressPrinter::Finish() {
  if (printed_) {
    std::fprintf(stderr, "\r\033[K");
    printed_ = false;
  }
}

}  // namespace hasteward::cli
