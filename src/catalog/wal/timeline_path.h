// catalog/wal/timeline_path: which timelines a replay from a base backup follows, and which
// archived segments of each it reads (pure functions over the archived timeline histories).
// PostgreSQL begins a new timeline at every promotion (a switchover, a failover, a point-in-time
// restore); a restore past one must follow it, or the new primary's writes are out of reach.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "engine/archiving.h"

namespace hasteward::catalog {

// The archived history files: timeline -> its ancestors, oldest first.
using TimelineHistories = std::map<uint32_t, std::vector<engine::TimelineBranch>>;

// One timeline's part of a replay: positions [from, to).
struct TimelineRange {
  uint32_t timeline = 0;
  uint64_t from = 0;           // where replay enters it (the base's consistency point, a switch)
  std::optional<uint64_t> to;  // the switch where replay leaves it; nullopt on the last
};

struct TimelinePath {
  std::vector<TimelineRange> ranges;  // the base's timeline first, the target timeline last
  // Set when the path could not be decided: a timeline newer than the chosen one has archived
  // segments but no archived history file, so whether it continues the base's history is unknown.
  std::optional<uint32_t> unknown_history;
  uint32_t target() const { return ranges.back().timeline; }
};

// The path from a base consistent at `base_stop` on `base_timeline`: to the newest timeline whose
// archived history descends from the base's timeline at switches at or after base_stop (what the
// server's recovery_target_timeline = 'latest' follows), or the base's own timeline when none
// does. A timeline that forked before base_stop is another history (the base is not in it). This
// also makes a restore follow the history a previous point-in-time restore created (its new
// timeline descends from the base's) rather than the future that restore abandoned.
TimelinePath ChooseTimelinePath(uint32_t base_timeline, uint64_t base_stop,
                                const TimelineHistories& histories,
                                const std::set<uint32_t>& timelines_with_segments);

// Segments [first, last] of one timeline (last nullopt: as far as the archive goes).
struct SegmentRange {
  uint32_t timeline = 0;
  uint64_t first = 0;
  std::optional<uint64_t> last;
};

// The segment files a replay along `path` reads, in order. The server reads segment s from the
// newest timeline of the path that begins in s or before: a timeline's part ends before the
// segment holding its switch, whose records up to the switch the child's copy of that segment
// holds. Ranges left without a segment are omitted.
std::vector<SegmentRange> PathSegments(const TimelinePath& path, uint64_t segment_bytes);

}  // namespace hasteward::catalog
