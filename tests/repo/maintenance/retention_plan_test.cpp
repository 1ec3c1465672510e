#include "repo/maintenance/retention_plan.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hasteward::repo {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace retention_plan_test {
namespace {

const std::chrono::system_clock::time_point kNow =
    std::chrono::system_clock::from_time_t(1900000000);

SnapshotMeta Backup(const std::string& id, const std::string& time,
                    const std::string& cluster = "c1", const std::string& ns = "ns1",
                    const std::string& engine = "cnpg") {
  return {id,
          time,
          "host",
          {"/" + ns + "/" + cluster + "/pgdumpall.sql"},
          {"engine=" + engine, "cluster=" + cluster, "namespace=" + ns, "type=backup"}};
}

SnapshotMeta Diverged(const std::string& id, const std::string& time, const std::string& job,
                      const std::string& cluster = "c1") {
  return {id,
          time,
          "host",
          {"/ns1/" + cluster + "/0-pgdumpall.sql"},
          {"engine=cnpg", "cluster=" + cluster, "namespace=ns1", "type=diverged", "job=" + job}};
}

PruneOptions Options(PruneType type = PruneType::kBackup) {
  PruneOptions o;
  o.type = type;
  o.now = kNow;
  return o;
}

std::set<std::string> KeepSet(const RetentionPlan& plan) {
  const auto ids = plan.KeepIds();
  return {ids.begin(), ids.end()};
}

std::set<std::string> RemoveSet(const RetentionPlan& plan) {
  const auto ids = plan.RemoveIds();
  return {ids.begin(), ids.end()};
}

TEST(RetentionPlanTest, GroupsByClusterAndNamespaceAcrossTheRepository) {
  const std::vector<SnapshotMeta> snaps = {
      Backup("a1", "2023-01-01T00:00:00Z"),
      Backup("a2", "2023-01-02T00:00:00Z"),
      Backup("b1", "2023-01-01T00:00:00Z", "c2"),
      Backup("b2", "2023-01-02T00:00:00Z", "c2"),
      Backup("n1", "2023-01-01T00:00:00Z", "c1", "ns2"),
      Backup("g1", "2023-01-03T00:00:00Z", "c1", "ns1", "galera")};
  PruneOptions o = Options();
  o.policy.keep_last = 1;
  core::Result<RetentionPlan> plan = PlanRetention(snaps, o);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->groups.size(), 4u);
  EXPECT_EQ(plan->groups[0].Key(), "cnpg/ns1/c1/backup");
  EXPECT_EQ(KeepSet(*plan), (std::set<std::string>{"a2", "b2", "n1", "g1"}));
  EXPECT_EQ(RemoveSet(*plan), (std::set<std::string>{"a1", "b1"}));
}

TEST(RetentionPlanTest, ScopeFiltersByEngineClusterNamespaceAndType) {
  const std::vector<SnapshotMeta> snaps = {
      Backup("a1", "2023-01-01T00:00:00Z"), Backup("a2", "2023-01-02T00:00:00Z"),
      Backup("b1", "2023-01-01T00:00:00Z", "c2"), Diverged("d1", "2023-01-01T00:00:00Z", "J1")};
  PruneOptions o = Options();
  o.policy.keep_last = 1;
  o.cluster = "c1";
  core::Result<RetentionPlan> plan = PlanRetention(snaps, o);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->groups.size(), 1u);
  EXPECT_EQ(RemoveSet(*plan), (std::set<std::string>{"a1"}));
  EXPECT_EQ(plan->out_of_scope, 2u);  // b1 (other cluster) and d1 (type diverged)
  o.engine = "galera";
  plan = PlanRetention(snaps, o);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->groups.empty());
}

TEST(RetentionPlanTest, JobGroupCountsAsOneUnitAndStaysTogether) {
  // Three repair jobs, three instances each; keep-last 2 keeps the two newest jobs entirely.
  std::vector<SnapshotMeta> snaps;
  for (int job = 1; job <= 3; ++job) {
    for (int inst = 0; inst < 3; ++inst) {
      snaps.push_back(
          Diverged("j" + std::to_string(job) + "i" + std::to_string(inst),
                   "2023-01-0" + std::to_string(job) + "T10:00:0" + std::to_string(inst) + "Z",
                   "2023010" + std::to_string(job) + "T100000Z"));
    }
  }
  PruneOptions o = Options(PruneType::kDiverged);
  o.policy.keep_last = 2;
  core::Result<RetentionPlan> plan = PlanRetention(snaps, o);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->groups.size(), 1u);
  EXPECT_EQ(plan->groups[0].units, 3u);
  EXPECT_EQ(plan->groups[0].kept_units, 2u);
  EXPECT_EQ(RemoveSet(*plan), (std::set<std::string>{"j1i0", "j1i1", "j1i2"}));
  for (const PlannedSnapshot& s : plan->groups[0].snapshots) {
    EXPECT_FALSE(s.job.empty());
    if (s.keep) {
      EXPECT_EQ(s.reasons, (std::vector<std::string>{"last snapshot"}));
    }
  }
}

TEST(RetentionPlanTest, JobGroupUsesItsNewestMemberTime) {
  // Job A spans day 1 and day 5 (listed first, oldest member first); job B is on day 3.
  const std::vector<SnapshotMeta> snaps = {Diverged("a-old", "2023-01-01T10:00:00Z", "A"),
                                           Diverged("b", "2023-01-03T10:00:00Z", "B"),
                                           Diverged("a-new", "2023-01-05T10:00:00+01:00", "A")};
  PruneOptions o = Options(PruneType::kDiverged);
  o.policy.keep_last = 1;
  core::Result<RetentionPlan> plan = PlanRetention(snaps, o);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(KeepSet(*plan), (std::set<std::string>{"a-old", "a-new"}));
  // Members are listed newest first, after their unit's position.
  EXPECT_EQ(plan->groups[0].snapshots[0].id, "a-new");
  EXPECT_EQ(plan->groups[0].snapshots[1].id, "a-old");
  EXPECT_EQ(plan->groups[0].snapshots[2].id, "b");
}

TEST(RetentionPlanTest, JobGroupBucketsUseTheNewestMembersOffset) {
  // Both jobs' newest members are at the same UTC day, but job X's is 2023-01-01 at -05:00, so
  // keep-daily 2 keeps both jobs (different wall-clock days), keep-daily 1 only the first listed.
  const std::vector<SnapshotMeta> snaps = {Diverged("x1", "2023-01-01T20:00:00-05:00", "X"),
                                           Diverged("x2", "2022-12-30T10:00:00Z", "X"),
                                           Diverged("y1", "2023-01-02T01:00:00Z", "Y")};
  PruneOptions o = Options(PruneType::kDiverged);
  o.policy.keep_daily = 2;
  EXPECT_EQ(RemoveSet(*PlanRetention(snaps, o)), std::set<std::string>{});
  o.policy.keep_daily = 1;
  EXPECT_EQ(KeepSet(*PlanRetention(snaps, o)), (std::set<std::string>{"x1", "x2"}));
}

TEST(RetentionPlanTest, KeepTagOnOneMemberKeepsTheWholeJob) {
  std::vector<SnapshotMeta> snaps = {Diverged("old1", "2023-01-01T10:00:00Z", "OLD"),
                                     Diverged("old2", "2023-01-01T10:00:00Z", "OLD"),
                                     Diverged("new", "2023-02-01T10:00:00Z", "NEW")};
  snaps[1].tags.push_back("pinned");
  PruneOptions o = Options(PruneType::kDiverged);
  o.policy.keep_last = 1;
  o.policy.keep_tags = {{"pinned"}};
  core::Result<RetentionPlan> plan = PlanRetention(snaps, o);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(RemoveSet(*plan).empty());
}

TEST(RetentionPlanTest, SameJobIdInTwoClustersIsTwoUnits) {
  const std::vector<SnapshotMeta> snaps = {Diverged("c1a", "2023-01-01T10:00:00Z", "J", "c1"),
                                           Diverged("c2a", "2023-01-01T10:00:00Z", "J", "c2"),
                                           Diverged("c1b", "2023-01-02T10:00:00Z", "K", "c1")};
  PruneOptions o = Options(PruneType::kDiverged);
  o.policy.keep_last = 1;
  core::Result<RetentionPlan> plan = PlanRetention(snaps, o);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->groups.size(), 2u);
  EXPECT_EQ(RemoveSet(*plan), (std::set<std::string>{"c1a"}));
}

TEST(RetentionPlanTest, TypeAllPlansBackupsAndJobsSeparately) {
  const std::vector<SnapshotMeta> snaps = {
      Backup("b1", "2023-01-01T10:00:00Z"), Backup("b2", "2023-01-02T10:00:00Z"),
      Diverged("d1", "2023-01-01T10:00:00Z", "J1"), Diverged("d2", "2023-01-01T10:00:00Z", "J1"),
      Diverged("d3", "2023-01-03T10:00:00Z", "J2")};
  PruneOptions o = Options(PruneType::kAll);
  o.policy.keep_last = 1;
  core::Result<RetentionPlan> plan = PlanRetention(snaps, o);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->groups.size(), 2u);
  EXPECT_EQ(plan->groups[1].type, SnapshotType::kDiverged);
  EXPECT_EQ(RemoveSet(*plan), (std::set<std::string>{"b1", "d1", "d2"}));
}

TEST(RetentionPlanTest, SnapshotsWithoutHastewardTagsAreNeverTouched) {
  std::vector<SnapshotMeta> snaps = {Backup("ok1", "2023-01-01T10:00:00Z"),
                                     Backup("ok2", "2023-01-02T10:00:00Z"),
                                     {"plain", "2023-01-01T10:00:00Z", "h", {"/etc"}, {}},
                                     Backup("notype", "2023-01-01T10:00:00Z"),
                                     Backup("weird", "2023-01-01T10:00:00Z"),
                                     Diverged("nojob", "2023-01-01T10:00:00Z", ""),
                                     Backup("badtime", "2023-01-01 10:00:00"),
                                     Backup("twice", "2023-01-01T10:00:00Z")};
  snaps[3].tags.pop_back();
  snaps[4].tags.back() = "type=escrow";
  snaps[7].tags.push_back("cluster=other");
  PruneOptions o = Options(PruneType::kAll);
  o.policy.keep_last = 1;
  core::Result<RetentionPlan> plan = PlanRetention(snaps, o);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(RemoveSet(*plan), (std::set<std::string>{"ok1"}));
  ASSERT_EQ(plan->unmanaged.size(), 6u);
  EXPECT_EQ(plan->unmanaged[0].reason, "missing tag 'engine='");
  EXPECT_EQ(plan->unmanaged[1].reason, "missing tag 'type='");
  EXPECT_EQ(plan->unmanaged[2].reason, "unknown type 'escrow'");
  EXPECT_EQ(plan->unmanaged[3].reason, "diverged snapshot without a 'job=' tag");
  EXPECT_NE(plan->unmanaged[4].reason.find("not RFC3339"), std::string::npos);
  EXPECT_EQ(plan->unmanaged[5].reason, "conflicting tags 'cluster='");
}

TEST(RetentionPlanTest, RefusesToEmptyAGroupUnlessAllowed) {
  const std::vector<SnapshotMeta> snaps = {Backup("a1", "2023-01-01T10:00:00Z"),
                                           Backup("a2", "2023-01-02T10:00:00Z"),
                                           Backup("b1", "2023-01-02T10:00:00Z", "c2")};
  PruneOptions o = Options();
  o.policy.keep_tags = {{"pinned"}};
  core::Result<RetentionPlan> plan = PlanRetention(snaps, o);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), core::ErrorCode::kSafetyStop);
  EXPECT_EQ(plan.status().message(),
            "policy would remove all 2 snapshots of 'cnpg/ns1/c1/backup' and of 1 more group(s)");
  EXPECT_NE(plan.status().hint().find("--allow-empty"), std::string::npos);
  o.allow_empty = true;
  plan = PlanRetention(snaps, o);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(RemoveSet(*plan).size(), 3u);
}

TEST(RetentionPlanTest, EmptyPolicyRemovesNothing) {
  const std::vector<SnapshotMeta> snaps = {Backup("a1", "2023-01-01T10:00:00Z"),
                                           Diverged("d1", "2023-01-01T10:00:00Z", "J")};
  core::Result<RetentionPlan> plan = PlanRetention(snaps, Options(PruneType::kAll));
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->RemoveIds().empty());
  EXPECT_EQ(plan->groups[0].snapshots[0].reasons, (std::vector<std::string>{"policy is empty"}));
}

TEST(RetentionPlanTest, InvalidPolicyIsAUsageError) {
  PruneOptions o = Options();
  o.policy.keep_last = -1;
  EXPECT_EQ(PlanRetention({}, o).status().code(), core::ErrorCode::kUsage);
  EXPECT_EQ(ParsePruneType("diverged").value(), PruneType::kDiverged);
  EXPECT_EQ(ParsePruneType("Backup").status().code(), core::ErrorCode::kUsage);
}

TEST(RetentionPlanTest, JsonAndTextShowEverySnapshotAndWhy) {
  const std::vector<SnapshotMeta> snaps = {
      Backup("0123456789abcdef", "2023-01-01T10:00:00Z"),
      Backup("fedcba9876543210", "2023-01-02T10:00:00Z"),
      {"99999999aaaa", "2023-01-01T10:00:00Z", "h", {"/etc"}, {}}};
  PruneOptions o = Options();
  o.policy.keep_daily = 1;
  core::Result<RetentionPlan> plan = PlanRetention(snaps, o);
  ASSERT_TRUE(plan.ok());
  const nlohmann::json j = plan->ToJson();
  ASSERT_EQ(j["groups"].size(), 1u);
  const nlohmann::json& g = j["groups"][0];
  EXPECT_EQ(g["cluster"], "c1");
  EXPECT_EQ(g["namespace"], "ns1");
  EXPECT_EQ(g["keep"], nlohmann::json::array({"fedcba9876543210"}));
  EXPECT_EQ(g["remove"], nlohmann::json::array({"0123456789abcdef"}));
  EXPECT_EQ(g["snapshots"][0]["action"], "keep");
  EXPECT_EQ(g["snapshots"][0]["short_id"], "fedcba98");
  EXPECT_EQ(g["snapshots"][0]["reasons"], nlohmann::json::array({"daily snapshot"}));
  EXPECT_EQ(g["snapshots"][1]["action"], "remove");
  EXPECT_EQ(j["unmanaged"][0]["reason"], "missing tag 'engine='");
  EXPECT_EQ(j["summary"],
            nlohmann::json({{"keep", 1}, {"remove", 1}, {"unmanaged", 1}, {"out_of_scope", 0}}));
  const std::string text = plan->ToText();
  EXPECT_NE(text.find("group cnpg/ns1/c1/backup: keep 1 of 2 snapshots"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  keep    fedcba98  2023-01-02T10:00:00Z  daily snapshot\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  remove  01234567  2023-01-01T10:00:00Z\n"), std::string::npos) << text;
  EXPECT_NE(text.find("never touched: 1"), std::string::npos) << text;
}

}  // namespace
}  // namespace retention_plan_test
}  // namespace hasteward::repo
