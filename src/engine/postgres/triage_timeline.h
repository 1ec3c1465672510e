// PostgreSQL timeline lineage: the parsed <tli>.history file of an instance plus its current
// timeline and position, compared between instances to tell "behind" (safe to re-clone) from
// "forked" (split-brain) and "ahead" (the authority), and scanned for the fingerprint of a PITR or
// restore (a fork behind an earlier fork point). Pure functions; unit-tested on hand-built input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/archiving.h"
#include "engine/triage.h"

namespace hasteward::engine::postgres {

// One line of a timeline history file: timeline `parent` ended at `switch_lsn`.
struct TimelineSwitch {
  uint32_t parent = 0;
  uint64_t switch_lsn = 0;
};

struct Lineage {
  uint32_t timeline = 0;                // current timeline (0 = unknown)
  uint64_t lsn = 0;                     // position on it (0 = unknown)
  std::vector<TimelineSwitch> history;  // ancestors, oldest first
  bool known() const { return timeline != 0 && lsn != 0; }
};

// "16/B374D848" -> 0x16B374D848; nullopt on malformed input.
std::optional<uint64_t> ParseLsn(const std::string& text);
std::string FormatLsn(uint64_t lsn);

// Lines "<parent tli>\t<switch lsn>\t<reason>"; comments and blank lines skipped.
std::vector<TimelineSwitch> ParseTimelineHistory(const std::string& text);

// "1:0/3000060,2:0/5000000" (facts form) and back.
std::string FormatHistory(const std::vector<TimelineSwitch>& history);
std::vector<TimelineSwitch> ParseHistoryFact(const std::string& fact);

enum class LineageRelation {
  kEqual,    // same timeline and position
  kAhead,    // a contains b's position and is further along
  kBehind,   // b contains a's position and is further along
  kForked,   // neither contains the other: the histories diverged
  kUnknown,  // a position could not be read
};
const char* LineageRelationName(LineageRelation r);

// A history as the one comparator (engine/wal_history.h) reads it.
std::vector<TimelineBranch> HistoryBranches(const std::vector<TimelineSwitch>& history);

// How `a` relates to `b`: the one comparator's order (an unrelated pair of read positions is a
// fork here: neither may be re-cloned from the other).
LineageRelation CompareLineage(const Lineage& a, const Lineage& b);

// "" when the switch points never go backwards; otherwise a description of the first fork that
// lies behind an earlier fork point (the fingerprint of a PITR/restore).
std::string RewindSignal(const std::vector<TimelineSwitch>& history);

// The lineage recorded in an instance's triage facts ("lineage_timeline", "position_lsn",
// "history").
Lineage LineageFromFacts(const InstanceHealth& h);

// Adds timeline findings to a report: pairwise forks (split-brain) and rewind signals (warning).
void AddTimelineFindings(const std::vector<InstanceHealth>& instances,
                         std::vector<Finding>* findings, Verdict* verdict);

}  // namespace hasteward::engine::postgres
