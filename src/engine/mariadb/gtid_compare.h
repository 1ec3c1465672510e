// Comparing MariaDB GTID positions (gtid_current_pos / gtid_binlog_pos lists such as
// "0-1-42,1-2-7") domain by domain: the decisions of switchover and failover — has the candidate
// applied exactly the old primary's final set, which replica is the most advanced — rest on it.
// Pure functions.
#pragma once

#include <string>

namespace hasteward::engine::mariadb {

enum class GtidOrder {
  kEqual,     // the same sequence number in every domain
  kBehind,    // `mine` lacks transactions `theirs` has, and has none they lack
  kAhead,     // `mine` has transactions `theirs` lacks, and lacks none of theirs
  kDiverged,  // each has transactions the other lacks (or the same seqno from another server)
};

// "equal", "behind", "ahead", "diverged".
const char* GtidOrderName(GtidOrder order);

// Compares two GTID positions. A domain missing on one side counts as sequence number 0 there.
// The same sequence number written by two different server ids is kDiverged: under
// gtid_strict_mode those are two different transactions.
GtidOrder CompareGtidPositions(const std::string& mine, const std::string& theirs);

// Whether `text` parses as a GTID list (empty is the valid empty position); a malformed entry
// makes the position unreadable, never silently shorter.
bool IsWellFormedGtidList(const std::string& text);

}  // namespace hasteward::engine::mariadb
