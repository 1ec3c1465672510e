// Two writable instances are split brain only when two readings in a row see them
// (jobs/two_writable_judge.h). Property test: random sequences of readings, checked against the
// rule after each step; the seed is printed.
#include "jobs/two_writable_judge.h"

#include <random>

#include <gtest/gtest.h>

namespace hasteward::jobs {
namespace {

const std::vector<std::string> kNone;
const std::vector<std::string> kOld{"pg-1"};
const std::vector<std::string> kNew{"pg-2"};
const std::vector<std::string> kBoth{"pg-1", "pg-2"};

TEST(TwoWritableJudgeTest, AReadingAcrossTheHandoverIsCountedNotJudged) {
  TwoWritableJudge judge;
  EXPECT_EQ(judge.Observe(kOld), WritableVerdict::kAtMostOne);
  EXPECT_EQ(judge.Observe(kBoth), WritableVerdict::kUnconfirmed);
  EXPECT_EQ(judge.Observe(kNew), WritableVerdict::kAtMostOne);
  EXPECT_EQ(judge.straddled(), 1);
}

TEST(TwoWritableJudgeTest, TwoReadingsInARowWithTwoWritableAreSplitBrain) {
  TwoWritableJudge judge;
  EXPECT_EQ(judge.Observe(kOld), WritableVerdict::kAtMostOne);
  EXPECT_EQ(judge.Observe(kBoth), WritableVerdict::kUnconfirmed);
  EXPECT_EQ(judge.Observe(kBoth), WritableVerdict::kSplitBrain);
  EXPECT_EQ(judge.straddled(), 0);
}

TEST(TwoWritableJudgeTest, AnUnreadableMomentBetweenDoesNotConfirm) {
  // A reading that saw none (every instance restarting) breaks the pair.
  TwoWritableJudge judge;
  EXPECT_EQ(judge.Observe(kBoth), WritableVerdict::kUnconfirmed);
  EXPECT_EQ(judge.Observe(kNone), WritableVerdict::kAtMostOne);
  EXPECT_EQ(judge.Observe(kBoth), WritableVerdict::kUnconfirmed);
  EXPECT_EQ(judge.straddled(), 1);
}

TEST(TwoWritableJudgeTest, RandomReadingsFollowTheRule) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  const std::vector<const std::vector<std::string>*> choices{&kNone, &kOld, &kNew, &kBoth};
  for (int run = 0; run < 200; ++run) {
    TwoWritableJudge judge;
    bool last_several = false;
    int unconfirmed = 0;
    int split = 0;
    for (int step = 0; step < 20; ++step) {
      const auto& writable = *choices[rng() % choices.size()];
      const bool several = writable.size() > 1;
      WritableVerdict verdict = judge.Observe(writable);
      WritableVerdict expected = !several       ? WritableVerdict::kAtMostOne
                                 : last_several ? WritableVerdict::kSplitBrain
                                                : WritableVerdict::kUnconfirmed;
      ASSERT_EQ(verdict, expected) << "run " << run << " step " << step;
      unconfirmed += verdict == WritableVerdict::kUnconfirmed ? 1 : 0;
      split += verdict == WritableVerdict::kSplitBrain ? 1 : 0;
      if (verdict == WritableVerdict::kSplitBrain) {
        break;  // the switchover fences and stops here
      }
      // Every unconfirmed reading is counted once the next one saw at most one.
      const int pending = several ? 1 : 0;
      ASSERT_EQ(judge.straddled(), unconfirmed - pending) << "run " << run << " step " << step;
      last_several = several;
    }
    EXPECT_LE(split, 1);
  }
}

}  // namespace
}  // namespace hasteward::jobs
