// catalog/wal/wal_chain: how far an unbroken run of archived segments reaches (pure functions over
// the archived segment numbers of one timeline and the times their files were last written).
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "repo/format/go_json.h"

namespace hasteward::catalog {

// Archived segments of one timeline: segment number -> the server's last write to the file.
using SegmentTimes = std::map<uint64_t, repo::GoTime>;

// Missing segments, inclusive, followed by archived ones.
struct WalGap {
  uint64_t first = 0;
  uint64_t last = 0;
};

struct ChainReach {
  bool starts = false;        // `from` is archived
  uint64_t last = 0;          // the last segment of the unbroken run from `from` (when starts)
  std::optional<WalGap> gap;  // the hole after the run (or at `from`) when later segments exist
};

// Follows the unbroken run of archived segments from `from`.
ChainReach FollowChain(const SegmentTimes& segments, uint64_t from);

// Consecutive archived segments of one timeline, first to last (inclusive), with their files'
// last write times: the archive index's summary (wal_index_format.h) stores these instead of every
// segment, so its size grows with the gaps, not with the segments.
struct SegmentRun {
  uint64_t first = 0;
  uint64_t last = 0;
  repo::GoTime first_mtime;
  repo::GoTime last_mtime;
};
// Runs of one timeline by first segment: disjoint and never adjacent (AddToRuns merges them).
using SegmentRuns = std::map<uint64_t, SegmentRun>;

// Adds one archived segment. A segment already in a run keeps the run as it is (a re-archived copy
// has the same bytes); one next to a run extends it, joining two runs it closes the gap between.
void AddToRuns(SegmentRuns& runs, uint64_t segment, const repo::GoTime& mtime);

// FollowChain over runs: the same reach as over the runs' segments.
ChainReach FollowRuns(const SegmentRuns& runs, uint64_t from);

// The runs of `segments` (every segment's time is kept only at the runs' ends).
SegmentRuns RunsOf(const SegmentTimes& segments);

// The first archived segment at or after `from` that the server was still writing at or after
// `target`: a time target's records lie before the end of that segment. nullopt when the archive
// holds none (it ends before the target).
std::optional<uint64_t> SegmentReachingTime(const SegmentTimes& segments, uint64_t from,
                                            const repo::GoTime& target);

}  // namespace hasteward::catalog
