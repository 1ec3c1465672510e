// catalog/postgres: WAL positions and timeline histories as a base backup's tags record them
// (catalog/positions.h), and their one comparator.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "catalog/positions.h"

namespace hasteward::catalog {

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
std::optional<uint64_t> LeftAt(const std::vector<engine::TimelineBranch>& history,
                               uint32_t timeline) {
  for (const engine::TimelineBranch& branch : history) {
    if (branch.parent == timeline) {
      return branch.switch_position;
    }
  }
  return std::nullopt;
}

// `earlier` on a lower timeline than a later position whose timeline's ancestors are
// `later_history`: an ancestor up to where that history left earlier's timeline.
PositionOrder OrderAcross(const WalPosition& earlier,
                          const std::vector<engine::TimelineBranch>& later_history) {
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

core::Result<std::vector<engine::TimelineBranch>> ParseTimelineHistoryFact(
    const std::string& text) {
  std::vector<engine::TimelineBranch> history;
  for (size_t at = 0; at < text.size();) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const std::string entry = text.substr(at, comma - at);
    const size_t colon = entry.find(':');
    const std::string parent = entry.substr(0, colon);
    std::optional<uint64_t> lsn =
        colon == std::string::npos ? std::nullopt : ParseLsnText(entry.substr(colon + 1));
    if (!lsn || parent.empty() || parent.size() > 9 ||
        parent.find_first_not_of("0123456789") != std::string::npos) {
      return core::Status(core::ErrorCode::kCorruption,
                          "timeline history entry '" + entry + "' is not <timeline>:<lsn>",
                          "the snapshot's tags were not written by hasteward or were edited; "
                          "'hasteward get backups' shows them");
    }
    history.push_back({static_cast<uint32_t>(std::stoul(parent)), *lsn});
    at = comma + 1;
  }
  return history;
}

std::string FormatTimelineHistoryFact(const std::vector<engine::TimelineBranch>& history) {
  std::string text;
  for (const engine::TimelineBranch& branch : history) {
    text += (text.empty() ? "" : ",") + std::to_string(branch.parent) + ":" +
            FormatLsnText(branch.switch_position);
  }
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
                                  const std::vector<engine::TimelineBranch>& a_history,
                                  const WalPosition& b,
                                  const std::vector<engine::TimelineBranch>& b_history) {
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

}  // namespace hasteward::catalog
