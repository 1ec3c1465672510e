#include "repo/maintenance/retention_policy.h"

#include <set>

#include <gtest/gtest.h>

namespace hasteward::repo {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace retention_policy_test {
namespace {

using std::chrono::system_clock;

const system_clock::time_point kNow = system_clock::from_time_t(1900000000);  // 2030-03-17

std::vector<RetentionItem> Items(const std::vector<std::string>& times) {
  std::vector<RetentionItem> items;
  for (const std::string& t : times) {
    core::Result<SnapshotTime> parsed = ParseRfc3339Nano(t);
    EXPECT_TRUE(parsed.ok()) << t;
    items.push_back({parsed.ok() ? *parsed : SnapshotTime(), {{}}});
  }
  return items;
}

// Indices of kept items, in input order.
std::vector<size_t> Kept(const std::vector<RetentionItem>& items, const RetentionPolicy& policy) {
  const RetentionResult r = ApplyRetentionPolicy(items, policy, kNow);
  std::vector<size_t> kept;
  for (size_t i = 0; i < items.size(); ++i) {
    if (r.decisions[i].keep)
      kept.push_back(i);
  }
  return kept;
}

// TV-7 (restic-format.md §13): verified against restic 0.14.
const std::vector<std::string> kTv7 = {"2023-01-01T10:00:00Z", "2023-01-01T12:00:00Z",
                                       "2023-01-02T09:00:00Z", "2023-01-03T22:00:00-05:00",
                                       "2023-01-04T01:00:00Z", "2023-01-08T09:00:00Z",
                                       "2023-01-15T09:00:00Z", "2023-02-01T09:00:00Z",
                                       "2023-03-01T09:00:00Z", "2023-03-01T09:00:00Z"};

TEST(RetentionPolicyTest, Tv7KeepDaily10) {
  RetentionPolicy p;
  p.keep_daily = 10;
  // Keeps one 03-01 twin (the first listed), 02-01, 01-15, 01-08, 01-03(-05:00), 01-04, 01-02,
  // 01-01 12:00; 01-01 10:00 shares its day with 12:00.
  EXPECT_EQ(Kept(Items(kTv7), p), (std::vector<size_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(RetentionPolicyTest, Tv7KeepLast2KeepsBothTwins) {
  RetentionPolicy p;
  p.keep_last = 2;
  EXPECT_EQ(Kept(Items(kTv7), p), (std::vector<size_t>{8, 9}));
}

TEST(RetentionPolicyTest, Tv7DailyWeeklyMonthly) {
  RetentionPolicy p;
  p.keep_daily = 2;
  p.keep_weekly = 2;
  p.keep_monthly = 2;
  EXPECT_EQ(Kept(Items(kTv7), p), (std::vector<size_t>{7, 8}));
}

TEST(RetentionPolicyTest, Tv7KeepMonthly5HasNoOldestRule) {
  RetentionPolicy p;
  p.keep_monthly = 5;
  EXPECT_EQ(Kept(Items(kTv7), p), (std::vector<size_t>{6, 7, 8}));
}

TEST(RetentionPolicyTest, ReasonsAndCountersMatchResticJson) {
  // Observed with restic 0.14 (`forget --dry-run --json --keep-last 3 --keep-hourly 3
  // --keep-daily 4 --keep-weekly 5 --keep-monthly 6 --keep-yearly 7`) on these times.
  const auto items =
      Items({"2023-01-01T10:00:00Z", "2023-01-01T12:00:00Z", "2023-01-03T22:00:00-05:00",
             "2023-01-04T01:00:00Z", "2023-03-01T09:00:00Z", "2023-03-01T09:00:00Z"});
  RetentionPolicy p;
  p.keep_last = 3, p.keep_hourly = 3, p.keep_daily = 4, p.keep_weekly = 5, p.keep_monthly = 6,
  p.keep_yearly = 7;
  const RetentionResult r = ApplyRetentionPolicy(items, p, kNow);
  EXPECT_EQ(r.order, (std::vector<size_t>{4, 5, 2, 3, 1, 0}));
  EXPECT_EQ(r.decisions[4].reasons,
            (std::vector<std::string>{"last snapshot", "hourly snapshot", "daily snapshot",
                                      "weekly snapshot", "monthly snapshot", "yearly snapshot"}));
  EXPECT_EQ(r.decisions[5].reasons, (std::vector<std::string>{"last snapshot"}));
  EXPECT_EQ(r.decisions[2].reasons,
            (std::vector<std::string>{"last snapshot", "hourly snapshot", "daily snapshot",
                                      "weekly snapshot", "monthly snapshot"}));
  EXPECT_EQ(r.decisions[3].reasons,
            (std::vector<std::string>{"hourly snapshot", "daily snapshot"}));
  EXPECT_EQ(r.decisions[1].reasons,
            (std::vector<std::string>{"daily snapshot", "weekly snapshot"}));
  EXPECT_FALSE(r.decisions[0].keep);
  EXPECT_EQ(
      r.decisions[3].counters,
      (std::map<std::string, int>{{"daily", 1}, {"weekly", 3}, {"monthly", 4}, {"yearly", 6}}));
  EXPECT_EQ(r.decisions[1].counters,
            (std::map<std::string, int>{{"weekly", 2}, {"monthly", 4}, {"yearly", 6}}));
}

TEST(RetentionPolicyTest, TiesKeepInputOrderAndOffsetsDecideTheDay) {
  // Same instant, different offsets: 2023-01-03 at -05:00 and 2023-01-04 in UTC. Both are kept by
  // keep-daily (different days), and the listing order decides which comes first.
  const auto items = Items({"2023-01-04T03:00:00Z", "2023-01-03T22:00:00-05:00"});
  RetentionPolicy p;
  p.keep_daily = 1;
  EXPECT_EQ(Kept(items, p), (std::vector<size_t>{0}));
  p.keep_daily = 2;
  EXPECT_EQ(Kept(items, p), (std::vector<size_t>{0, 1}));
  const auto swapped = Items({"2023-01-03T22:00:00-05:00", "2023-01-04T03:00:00Z"});
  p.keep_daily = 1;
  EXPECT_EQ(Kept(swapped, p), (std::vector<size_t>{0}));
}

TEST(RetentionPolicyTest, WeeklyBucketsFollowIsoWeeksAcrossNewYear) {
  // Sat 2022-12-31 and Sun 2023-01-01 are ISO week 2022-52; Mon 2023-01-02 is 2023-01.
  const auto items =
      Items({"2022-12-31T08:00:00Z", "2023-01-01T08:00:00Z", "2023-01-02T08:00:00Z"});
  RetentionPolicy p;
  p.keep_weekly = 5;
  EXPECT_EQ(Kept(items, p), (std::vector<size_t>{1, 2}));
  p = {};
  p.keep_yearly = 5;
  EXPECT_EQ(Kept(items, p), (std::vector<size_t>{0, 2}));
}

TEST(RetentionPolicyTest, EmptyPolicyKeepsEverything) {
  const RetentionResult r = ApplyRetentionPolicy(Items(kTv7), RetentionPolicy{}, kNow);
  for (const RetentionDecision& d : r.decisions) {
    EXPECT_TRUE(d.keep);
    EXPECT_EQ(d.reasons, (std::vector<std::string>{"policy is empty"}));
  }
}

TEST(RetentionPolicyTest, KeepTagNeedsAllTagsOfOneList) {
  std::vector<RetentionItem> items = Items({"2023-01-01T00:00:00Z", "2023-01-02T00:00:00Z"});
  items[0].member_tags = {{"a", "b"}};
  items[1].member_tags = {{"a"}};
  RetentionPolicy p;
  p.keep_tags = {{"a", "b"}};
  const RetentionResult r = ApplyRetentionPolicy(items, p, kNow);
  EXPECT_TRUE(r.decisions[0].keep);
  EXPECT_EQ(r.decisions[0].reasons, (std::vector<std::string>{"has tags [a, b]"}));
  EXPECT_FALSE(r.decisions[1].keep);
}

TEST(RetentionPolicyTest, KeepWithinIsRelativeToLatestNotInTheFuture) {
  // The 2031 item is in the future relative to kNow (2030) and does not move "latest".
  const auto items = Items({"2031-01-01T00:00:00Z", "2023-01-10T00:00:00Z", "2023-01-08T00:00:01Z",
                            "2023-01-08T00:00:00Z", "2023-01-01T00:00:00Z"});
  RetentionPolicy p;
  ASSERT_TRUE(ParseKeepWithin("2d").ok());
  p.keep_within = *ParseKeepWithin("2d");
  // Strictly after latest - 2d (2023-01-08T00:00:00Z); the future item is after it too.
  EXPECT_EQ(Kept(items, p), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(ApplyRetentionPolicy(items, p, kNow).decisions[1].reasons,
            (std::vector<std::string>{"within 2d"}));
}

TEST(RetentionPolicyTest, KeepWithinDailyHasNoCounter) {
  const auto items = Items({"2023-01-10T10:00:00Z", "2023-01-10T08:00:00Z", "2023-01-09T08:00:00Z",
                            "2023-01-02T08:00:00Z"});
  RetentionPolicy p;
  p.keep_within_daily = *ParseKeepWithin("7d");
  const RetentionResult r = ApplyRetentionPolicy(items, p, kNow);
  EXPECT_EQ(Kept(items, p), (std::vector<size_t>{0, 2}));
  EXPECT_EQ(r.decisions[0].reasons, (std::vector<std::string>{"daily within 7d"}));
}

TEST(RetentionPolicyTest, ParsesKeepWithinLikeRestic) {
  core::Result<KeepWithin> w = ParseKeepWithin("1y5m7d2h");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->ToString(), "1y5m7d2h");
  EXPECT_EQ(ParseKeepWithin("2h1d")->ToString(), "1d2h");
  EXPECT_EQ(ParseKeepWithin("1d2d")->ToString(), "2d");  // a repeated unit replaces
  EXPECT_EQ(ParseKeepWithin("5d0h")->ToString(), "5d");
  for (const char* bad : {"", "10", "1x", "-1d", "d"})
    EXPECT_FALSE(ParseKeepWithin(bad).ok()) << bad;
}

TEST(RetentionPolicyTest, ValidateRejectsNegativeCounts) {
  RetentionPolicy p;
  p.keep_daily = -1;
  EXPECT_EQ(p.Validate().code(), core::ErrorCode::kUsage);
  p.keep_daily = 0;
  p.keep_tags = {{}};
  EXPECT_EQ(p.Validate().code(), core::ErrorCode::kUsage);
  p.keep_tags = {{"x"}};
  EXPECT_TRUE(p.Validate().ok());
}

TEST(RetentionPolicyTest, ResticArgsSpellThePolicy) {
  RetentionPolicy p;
  p.keep_last = 7;
  p.keep_weekly = 2;
  p.keep_tags = {{"a", "b"}};
  p.keep_within = *ParseKeepWithin("1m3d");
  EXPECT_EQ(p.ToResticArgs(),
            (std::vector<std::string>{"--keep-last", "7", "--keep-weekly", "2", "--keep-within",
                                      "1m3d", "--keep-tag", "a,b"}));
}

TEST(RetentionPolicyTest, ResticGroupKeySortsPathsAndTags) {
  const ResticGroupBy by_tags = *ParseResticGroupBy("tags");
  EXPECT_EQ(ResticGroupKey(by_tags, "h1", {"/a"}, {"b", "a"}),
            ResticGroupKey(by_tags, "h2", {"/b"}, {"a", "b"}));
  const ResticGroupBy host_paths = *ParseResticGroupBy("host,paths");
  EXPECT_EQ(ResticGroupKey(host_paths, "h", {"/b", "/a"}, {"x"}),
            ResticGroupKey(host_paths, "h", {"/a", "/b"}, {"y"}));
  EXPECT_NE(ResticGroupKey(host_paths, "h", {"/a"}, {}),
            ResticGroupKey(host_paths, "g", {"/a"}, {}));
  EXPECT_FALSE(ParseResticGroupBy("hosts").ok());
  const ResticGroupBy none = *ParseResticGroupBy("");
  EXPECT_EQ(ResticGroupKey(none, "h", {"/a"}, {"t"}), ResticGroupKey(none, "g", {"/b"}, {}));
}

}  // namespace
}  // namespace retention_policy_test
}  // namespace hasteward::repo
