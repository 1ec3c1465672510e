#include "engine/wal_history.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace hasteward::engine {

namespace {

// One hex word of an LSN ("3000A38"): at most 8 digits, nothing else.
std::optional<uint64_t> HexWord(const std::string& text) {
  if (text.empty() || text.size() > 8 ||
      text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return std::nullopt;
  }
  return std::strtoull(text.c_str(), nullptr, 16);
}

// Where `history` (the ancestors of a later timeline) left `timeline`; nullopt when it never
// passed through it.
std::optional<uint64_t> LeftAt(const std::vector<TimelineBranch>& history, uint32_t timeline) {
  for (const TimelineBranch& branch : history) {
    if (branch.parent == timeline) {
      return branch.switch_position;
    }
  }
  return std::nullopt;
}

// `earlier` on a lower timeline than a later position whose timeline's ancestors are
// `later_history`: an ancestor up to where that history left earlier's timeline.
PositionOrder OrderAcross(const WalPosition& earlier,
                          const std::vector<TimelineBranch>& later_history) {
  if (later_history.empty()) {
    return PositionOrder::kUnknown;
  }
  std::optional<uint64_t> left = LeftAt(later_history, earlier.timeline);
  return left && earlier.lsn <= *left ? PositionOrder::kBefore : PositionOrder::kDiverged;
}

}  // namespace

std::optional<uint64_t> ParseLsnText(const std::string& text) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) {
    return std::nullopt;
  }
  std::optional<uint64_t> high = HexWord(text.substr(0, slash));
  std::optional<uint64_t> low = HexWord(text.substr(slash + 1));
  if (!high || !low) {
    return std::nullopt;
  }
  return (*high << 32) | *low;
}

std::string FormatLsnText(uint64_t lsn) {
  char text[32];
  std::snprintf(text, sizeof(text), "%" PRIX64 "/%" PRIX64, lsn >> 32, lsn & 0xFFFFFFFFU);
  return text;
}

const char* PositionOrderName(PositionOrder order) {
  switch (order) {
    case PositionOrder::kBefore: return "before";
    case PositionOrder::kSame: return "same";
    case PositionOrder::kAfter: return "after";
    case PositionOrder::kDiverged: return "diverged";
    case PositionOrder::kUnknown: break;
  }
  return "unknown";
}

PositionOrder CompareWalPositions(const WalPosition& a,
                                  const std::vector<TimelineBranch>& a_history,
                                  const WalPosition& b,
                                  const std::vector<TimelineBranch>& b_history) {
  if (a.timeline == b.timeline) {
    if (a.lsn == b.lsn) {
      return PositionOrder::kSame;
    }
    return a.lsn < b.lsn ? PositionOrder::kBefore : PositionOrder::kAfter;
  }
  if (a.timeline < b.timeline) {
    return OrderAcross(a, b_history);
  }
  PositionOrder reversed = OrderAcross(b, a_history);
  return reversed == PositionOrder::kBefore ? PositionOrder::kAfter : reversed;
}

}  // namespace hasteward::engine
