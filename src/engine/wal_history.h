// engine/wal_history: PostgreSQL WAL positions and the one comparator of histories. A position is
// a timeline and an LSN; two positions on different timelines are ordered only through a timeline
// history (a timeline is a fork: the same LSN on two timelines names two different pasts). Every
// judgement that compares PostgreSQL data — the discard gate, triage's forks, repair, the
// catalogue's base backups (catalog/positions.h re-exports it) — asks this comparator. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/archiving.h"

namespace hasteward::engine {

// A PostgreSQL WAL position: an LSN on a timeline.
struct WalPosition {
  uint32_t timeline = 0;
  uint64_t lsn = 0;
  bool operator==(const WalPosition&) const = default;
};

// Parses an LSN as PostgreSQL writes it ("0/3000A38": two hex words); nullopt otherwise.
std::optional<uint64_t> ParseLsnText(const std::string& text);
// "0/3000A38": the inverse of ParseLsnText.
std::string FormatLsnText(uint64_t lsn);

// How position `a` stands to position `b`.
enum class PositionOrder {
  kBefore,    // `a` lies on `b`'s history, earlier: b's history contains a
  kSame,      // the same position of the same history
  kAfter,     // `b` lies on `a`'s history, earlier
  kDiverged,  // different branches: each holds what the other lacks
  kUnknown,   // different timelines and no history that tells how they relate
};

// "before", "same", "after", "diverged", "unknown".
const char* PositionOrderName(PositionOrder order);

// The one comparator of WAL positions. On one timeline, by LSN. Across timelines, through the
// later timeline's history (`a_history` / `b_history`: the ancestors of a's / b's timeline, oldest
// first): the earlier timeline is an ancestor only up to where the later one left it; a position
// past that point is on another branch (kDiverged), and so is a timeline the history never
// passed. kUnknown when the history that would decide is empty.
PositionOrder CompareWalPositions(const WalPosition& a,
                                  const std::vector<TimelineBranch>& a_history,
                                  const WalPosition& b,
                                  const std::vector<TimelineBranch>& b_history);

}  // namespace hasteward::engine
