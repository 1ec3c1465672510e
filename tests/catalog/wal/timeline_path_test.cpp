#include "catalog/wal/timeline_path.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hasteward::catalog {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace timeline_path_test {
namespace {

constexpr uint64_t kSeg = uint64_t{16} * 1024 * 1024;

// Positions in these cases are written as segment numbers plus an offset into the segment.
constexpr uint64_t At(uint64_t segment, uint64_t offset = 0) {
  return segment * kSeg + offset;
}

struct PathCase {
  std::string name;
  uint32_t base_timeline;
  uint64_t base_stop;
  TimelineHistories histories;
  std::set<uint32_t> segment_timelines;
  std::vector<SegmentRange> want;  // PathSegments of the chosen path
  std::optional<uint32_t> unknown_history;
};

TEST(TimelinePathTest, FollowsTheNewestDescendantAndReadsEachSegmentFromTheRightTimeline) {
  const std::vector<PathCase> cases = {
      {"no switch: the base's timeline", 1, At(3, 40), {}, {1}, {{1, 3, std::nullopt}}, {}},
      {"a switchover mid-segment: the child's copy of segment 6 is read",
       1,
       At(3, 40),
       {{2, {{1, At(6, 100)}}}},
       {1, 2},
       {{1, 3, 5}, {2, 6, std::nullopt}},
       {}},
      {"a switch at a segment boundary",
       1,
       At(3),
       {{2, {{1, At(6)}}}},
       {1, 2},
       {{1, 3, 5}, {2, 6, std::nullopt}},
       {}},
      {"the switch in the base's own segment",
       1,
       At(3, 40),
       {{2, {{1, At(3, 900)}}}},
       {1, 2},
       {{2, 3, std::nullopt}},
       {}},
      {"two switches: through timeline 2 to 3",
       1,
       At(3),
       {{2, {{1, At(6, 1)}}}, {3, {{1, At(6, 1)}, {2, At(9, 1)}}}},
       {1, 2, 3},
       {{1, 3, 5}, {2, 6, 8}, {3, 9, std::nullopt}},
       {}},
      {"a base on timeline 2 follows 3, not its ancestors",
       2,
       At(7),
       {{2, {{1, At(6, 1)}}}, {3, {{1, At(6, 1)}, {2, At(9, 1)}}}},
       {1, 2, 3},
       {{2, 7, 8}, {3, 9, std::nullopt}},
       {}},
      {"a timeline forked before the base's consistency point is another history",
       1,
       At(8),
       {{2, {{1, At(6, 1)}}}},
       {1, 2},
       {{1, 8, std::nullopt}},
       {}},
      {"an earlier restore's timeline wins over the future it abandoned",
       1,
       At(3),
       {{2, {{1, At(9)}}}, {3, {{1, At(5, 7)}}}},
       {1, 2, 3},
       {{1, 3, 4}, {3, 5, std::nullopt}},
       {}},
      {"a point-in-time fork behind an older switch",
       1,
       At(3),
       {{2, {{1, At(9)}}}, {3, {{1, At(9)}, {2, At(5, 7)}}}},
       {1, 2, 3},
       {{1, 3, 4}, {3, 5, std::nullopt}},
       {}},
      {"a newer timeline without its history file is named",
       1,
       At(3),
       {{2, {{1, At(6, 1)}}}},
       {1, 2, 4},
       {{1, 3, 5}, {2, 6, std::nullopt}},
       4},
      {"an older timeline without history does not matter",
       2,
       At(7),
       {},
       {1, 2},
       {{2, 7, std::nullopt}},
       {}},
  };
  for (const auto& c : cases) {
    TimelinePath path =
        ChooseTimelinePath(c.base_timeline, c.base_stop, c.histories, c.segment_timelines);
    EXPECT_EQ(path.unknown_history, c.unknown_history) << c.name;
    std::vector<SegmentRange> got = PathSegments(path, kSeg);
    ASSERT_EQ(got.size(), c.want.size()) << c.name;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].timeline, c.want[i].timeline) << c.name << " range " << i;
      EXPECT_EQ(got[i].first, c.want[i].first) << c.name << " range " << i;
      EXPECT_EQ(got[i].last, c.want[i].last) << c.name << " range " << i;
    }
  }
}

TEST(TimelinePathTest, RangesCarryTheSwitchPositions) {
  TimelinePath path = ChooseTimelinePath(1, At(3, 40), {{2, {{1, At(6, 100)}}}}, {1, 2});
  ASSERT_EQ(path.ranges.size(), 2u);
  EXPECT_EQ(path.ranges[0].from, At(3, 40));
  EXPECT_EQ(path.ranges[0].to, At(6, 100));
  EXPECT_EQ(path.ranges[1].from, At(6, 100));
  EXPECT_FALSE(path.ranges[1].to.has_value());
  EXPECT_EQ(path.target(), 2u);
}

}  // namespace
}  // namespace timeline_path_test
}  // namespace hasteward::catalog
