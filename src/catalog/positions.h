// catalog/positions: the archive positions a base backup's record carries, typed per kind, and
// the one comparator of each kind. PostgreSQL: a WAL position is a timeline and an LSN, ordered
// across timelines only through a timeline history (engine/wal_history.h, re-exported here).
// MariaDB: a GTID list, stored in snapshot tags split at its commas (restic splits --tag values),
// read back whole here. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/archiving.h"
#include "engine/wal_history.h"
#include "repo/snapshot/snapshot.h"

namespace hasteward::catalog {

// WAL positions and their one comparator are the engine's (engine/wal_history.h): the discard
// gate and triage below this layer compare with the same one.
using engine::CompareWalPositions;
using engine::FormatLsnText;
using engine::ParseLsnText;
using engine::PositionOrder;
using engine::PositionOrderName;
using engine::WalPosition;

// The "timeline_history" fact ("1:0/3000060,2:0/5000000": each ancestor timeline and where the
// history left it, oldest first). kCorruption naming the entry that is not one.
core::Result<std::vector<engine::TimelineBranch>> ParseTimelineHistoryFact(const std::string& text);
std::string FormatTimelineHistoryFact(const std::vector<engine::TimelineBranch>& history);

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
