#include "pitr/wal/wal_chain.h"

namespace hasteward::pitr {

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

}  // namespace hasteward::pitr
