#include "catalog/wal/wal_chain.h"

#include <iterator>

namespace hasteward::catalog {

ChainReach FollowChain(const SegmentTimes& segments, uint64_t from) {
  ChainReach reach;
  auto it = segments.find(from);
  if (it == segments.end()) {
    auto later = segments.upper_bound(from);
    if (later != segments.end()) {
      reach.gap = WalGap{from, later->first - 1};
    }
    return reach;
  }
  reach.starts = true;
  reach.last = from;
  for (++it; it != segments.end() && it->first == reach.last + 1; ++it) {
    reach.last = it->first;
  }
  if (it != segments.end()) {
    reach.gap = WalGap{reach.last + 1, it->first - 1};
  }
  return reach;
}

std::optional<uint64_t> SegmentReachingTime(const SegmentTimes& segments, uint64_t from,
                                            const repo::GoTime& target) {
  for (auto it = segments.lower_bound(from); it != segments.end(); ++it) {
    if (!(it->second < target)) {
      return it->first;
    }
  }
  return std::nullopt;
}

void AddToRuns(SegmentRuns& runs, uint64_t segment, const repo::GoTime& mtime) {
  auto after = runs.upper_bound(segment);
  if (after != runs.begin()) {
    SegmentRun& before = std::prev(after)->second;
    if (segment <= before.last) {
      return;  // already in that run
    }
    if (before.last + 1 == segment) {
      before.last = segment;
      before.last_mtime = mtime;
      if (after != runs.end() && after->first == segment + 1) {
        before.last = after->second.last;
        before.last_mtime = after->second.last_mtime;
        runs.erase(after);
      }
      return;
    }
  }
  SegmentRun run{segment, segment, mtime, mtime};
  if (after != runs.end() && after->first == segment + 1) {
    run.last = after->second.last;
    run.last_mtime = after->second.last_mtime;
    runs.erase(after);
  }
  runs.emplace(segment, run);
}

ChainReach FollowRuns(const SegmentRuns& runs, uint64_t from) {
  ChainReach reach;
  auto after = runs.upper_bound(from);
  if (after == runs.begin() || std::prev(after)->second.last < from) {
    if (after != runs.end()) {
      reach.gap = WalGap{from, after->first - 1};
    }
    return reach;
  }
  reach.starts = true;
  reach.last = std::prev(after)->second.last;
  if (after != runs.end()) {
    reach.gap = WalGap{reach.last + 1, after->first - 1};
  }
  return reach;
}

SegmentRuns RunsOf(const SegmentTimes& segments) {
  SegmentRuns runs;
  for (const auto& [segment, mtime] : segments) {
    AddToRuns(runs, segment, mtime);
  }
  return runs;
}

}  // namespace hasteward::catalog
