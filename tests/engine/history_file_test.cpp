#include "engine/postgres/history_file.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hasteward::engine::postgres {
namespace {

struct HistoryCase {
  std::string name;
  std::string text;
  bool ok;
  std::vector<TimelineBranch> branches;  // when ok
};

TEST(HistoryFileTest, ParsesWhatTheServerWritesAndRefusesWhatItWouldRefuse) {
  const std::vector<HistoryCase> cases = {
      {"one switchover", "1\t0/5000198\tno recovery target specified\n", true, {{1, 0x5000198}}},
      {"two ancestors, a PITR fork behind the first",
       "1\t0/9000000\tno recovery target specified\n\n2\t0/5000000\tbefore 2026-11-23 "
       "17:00:00+00\n",
       true,
       {{1, 0x9000000}, {2, 0x5000000}}},
      {"comments and blank lines",
       "# made by hand\n\n3\t1/A0000028\tat restore point\n",
       true,
       {{3, 0x1A0000028}}},
      {"empty file", "", true, {}},
      {"no position", "1\n", false, {}},
      {"not a position", "1\tzz/1\treason\n", false, {}},
      {"timeline zero", "0\t0/5000000\treason\n", false, {}},
      {"not a number", "one\t0/5000000\treason\n", false, {}},
      {"timelines not increasing", "2\t0/5000000\tr\n2\t0/6000000\tr\n", false, {}},
  };
  for (const auto& c : cases) {
    auto parsed = ParseHistoryFile(c.text);
    ASSERT_EQ(parsed.ok(), c.ok) << c.name;
    if (!c.ok) {
      EXPECT_EQ(parsed.status().code(), core::ErrorCode::kCorruption) << c.name;
      continue;
    }
    ASSERT_EQ(parsed->size(), c.branches.size()) << c.name;
    for (size_t i = 0; i < c.branches.size(); ++i) {
      EXPECT_EQ((*parsed)[i].parent, c.branches[i].parent) << c.name;
      EXPECT_EQ((*parsed)[i].switch_position, c.branches[i].switch_position) << c.name;
    }
  }
}

}  // namespace
}  // namespace hasteward::engine::postgres
