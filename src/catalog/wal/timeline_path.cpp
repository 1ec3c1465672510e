#include "catalog/wal/timeline_path.h"

#include <algorithm>

namespace hasteward::catalog {

namespace {

// The ranges replay follows to `timeline`, or nullopt when its history does not continue the
// base's timeline past base_stop.
std::optional<std::vector<TimelineRange>> RangesTo(
    uint32_t timeline, const std::vector<engine::TimelineBranch>& history, uint32_t base_timeline,
    uint64_t base_stop) {
  auto base = std::find_if(history.begin(), history.end(), [&](const engine::TimelineBranch& b) {
    return b.parent == base_timeline;
  });
  if (base == history.end() || history.back().parent >= timeline) {
    return std::nullopt;
  }
  // Every timeline after the base's must begin at or after the base's consistency point: one that
  // begins before it does not hold the base (the server refuses it: "does not contain minimum
  // recovery point").
  for (auto it = base; it != history.end(); ++it) {
    if (it->switch_position < base_stop) {
      return std::nullopt;
    }
  }
  std::vector<TimelineRange> ranges;
  uint64_t from = base_stop;
  for (auto it = base; it != history.end(); ++it) {
    ranges.push_back(TimelineRange{it->parent, from, it->switch_position});
    from = it->switch_position;
  }
  ranges.push_back(TimelineRange{timeline, from, std::nullopt});
  return ranges;
}

}  // namespace

TimelinePath ChooseTimelinePath(uint32_t base_timeline, uint64_t base_stop,
                                const TimelineHistories& histories,
                                const std::set<uint32_t>& timelines_with_segments) {
  TimelinePath path;
  path.ranges = {TimelineRange{base_timeline, base_stop, std::nullopt}};
  for (auto it = histories.rbegin(); it != histories.rend() && it->first > base_timeline; ++it) {
    auto ranges = RangesTo(it->first, it->second, base_timeline, base_stop);
    if (ranges) {
      path.ranges = std::move(*ranges);
      break;
    }
  }
  for (auto it = timelines_with_segments.rbegin();
       it != timelines_with_segments.rend() && *it > path.target(); ++it) {
    if (histories.count(*it) == 0) {
      path.unknown_history = *it;
      break;
    }
  }
  return path;
}

std::vector<SegmentRange> PathSegments(const TimelinePath& path, uint64_t segment_bytes) {
  std::vector<SegmentRange> segments;
  const auto& ranges = path.ranges;
  for (size_t i = 0; i < ranges.size(); ++i) {
    SegmentRange range{ranges[i].timeline, ranges[i].from / segment_bytes, std::nullopt};
    if (i + 1 < ranges.size()) {
      // A later timeline that begins earlier (a point-in-time fork behind an older switch) wins
      // for the segments from its start on, as it does in the server.
      uint64_t next = ranges[i + 1].from;
      for (size_t j = i + 1; j < ranges.size(); ++j) {
        next = std::min(next, ranges[j].from);
      }
      uint64_t next_segment = next / segment_bytes;
      if (next_segment <= range.first) {
        continue;
      }
      range.last = next_segment - 1;
    }
    segments.push_back(range);
  }
  return segments;
}

}  // namespace hasteward::catalog
