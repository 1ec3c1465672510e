// catalog/positions: the archive positions a base backup's record carries, typed per kind, and
// the one comparator of each kind. PostgreSQL: a WAL position is a timeline and an LSN, and two
// positions on different timelines are ordered only through a timeline history (a timeline is a
// fork: the same LSN on two timelines names two different pasts). MariaDB: a GTID list, stored in
// snapshot tags split at its commas (restic splits --tag values), read back whole here. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/archiving.h"
#include "repo/snapshot/snapshot.h"

namespace hasteward::catalog {

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

// The "timeline_history" fact ("1:0/3000060,2:0/5000000": each ancestor timeline and where the
// history left it, oldest first). kCorruption naming the entry that is not one.
core::Result<std::vector<engine::TimelineBranch>> ParseTimelineHistoryFact(const std::string& text);
std::string FormatTimelineHistoryFact(const std::vector<engine::TimelineBranch>& history);

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
// later timeline's history (`a_history` / `b_history`: the ancestors of a's / b's timeline, as
// ParseTimelineHistoryFact gives): the earlier timeline is an ancestor only up to where the
// later one left it; a position past that point is on another branch (kDiverged). kUnknown when
// the history that would decide is empty.
PositionOrder CompareWalPositions(const WalPosition& a,
                                  const std::vector<engine::TimelineBranch>& a_history,
                                  const WalPosition& b,
                                  const std::vector<engine::TimelineBranch>& b_history);

// The value of the GTID list tag `key` ("gtid_position", "gtid_slave_pos") with every domain it
// was written with: "key=0-1-42" followed by the bare "1-1-7" tags gives "0-1-42,1-1-7". nullopt
// when no tag has the key.
std::optional<std::string> GtidTagValue(const std::vector<std::string>& tags,
                                        const std::string& key);

// "1-1-7": a bare GTID, the further domain of a GTID list split at its commas.
bool IsBareGtid(const std::string& tag);

// The highest domain named in the snapshots' GTID tags (a MariaDB backup's gtid_position and
// gtid_slave_pos, a diverged capture's, the binlog archive's piece and rewind states); nullopt
// when none names one. Malformed entries are skipped. A MariaDB restore starts its new history in
// a domain above it, so a history that survives only in the repository is never named again.
std::optional<uint32_t> NewestGtidDomain(const std::vector<repo::Snapshot>& snapshots);

}  // namespace hasteward::catalog
