// The parsers repair decisions rest on: PostgreSQL timeline lineage (fork vs behind vs ahead, the
// PITR/restore rewind signal) and Galera's recovered position.
#include <gtest/gtest.h>

#include "engine/galera/triage_recover.h"
#include "engine/postgres/triage_timeline.h"

namespace hasteward::engine {
namespace {

using postgres::CompareLineage;
using postgres::Lineage;
using postgres::LineageRelation;

TEST(TimelineTest, ParsesLsnAndHistory) {
  EXPECT_EQ(postgres::ParseLsn("16/B374D848"), 0x16B374D848ULL);
  EXPECT_FALSE(postgres::ParseLsn("16B374D848"));
  EXPECT_FALSE(postgres::ParseLsn("x/1"));
  EXPECT_EQ(postgres::FormatLsn(0x16B374D848ULL), "16/B374D848");
  auto h = postgres::ParseTimelineHistory(
      "1\t0/3000060\tno recovery target specified\n\n# c\n2\t0/5000000\tbefore 2020-01-01\n");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1].parent, 2u);
  EXPECT_EQ(h[1].switch_lsn, 0x5000000ULL);
  EXPECT_EQ(postgres::FormatHistory(h), "1:0/3000060,2:0/5000000");
  EXPECT_EQ(postgres::ParseHistoryFact("1:0/3000060,2:0/5000000").size(), 2u);
}

TEST(TimelineTest, ComparesLineages) {
  Lineage old_primary{1, 0x9000000, {}};
  Lineage promoted{2, 0x8000000, {{1, 0x6000000}}};
  EXPECT_EQ(CompareLineage(old_primary, promoted), LineageRelation::kForked);
  Lineage quiet_primary{1, 0x5000000, {}};  // wrote nothing after the fork point
  EXPECT_EQ(CompareLineage(promoted, quiet_primary), LineageRelation::kAhead);
  EXPECT_EQ(CompareLineage(quiet_primary, promoted), LineageRelation::kBehind);
  EXPECT_EQ(CompareLineage(old_primary, old_primary), LineageRelation::kEqual);
  EXPECT_EQ(CompareLineage(old_primary, Lineage{}), LineageRelation::kUnknown);
}

TEST(TimelineTest, RewindSignalOnlyWhenAForkLiesBehindAnEarlierOne) {
  EXPECT_EQ(postgres::RewindSignal({{1, 0x3000000}, {2, 0x5000000}}), "");
  std::string s = postgres::RewindSignal({{1, 0x3000000}, {2, 0x9000000}, {3, 0x4000000}});
  EXPECT_NE(s.find("timeline 3 forked at 0/4000000"), std::string::npos) << s;
  EXPECT_NE(s.find("point-in-time recovery or restore"), std::string::npos);
}

TEST(TimelineTest, ForkedInstancesAreSplitBrainAndRewindIsAWarning) {
  auto node = [](const std::string& name, const std::string& tl, const std::string& lsn,
                 const std::string& history) {
    InstanceHealth h;
    h.instance.name = name;
    h.facts = {{"lineage_timeline", tl}, {"position_lsn", lsn}, {"history", history}};
    return h;
  };
  std::vector<Finding> f;
  Verdict v = Verdict::kHealthy;
  postgres::AddTimelineFindings(
      {node("a", "1", "0/9000000", ""), node("b", "2", "0/8000000", "1:0/6000000")}, &f, &v);
  EXPECT_EQ(v, Verdict::kSplitBrain);
  ASSERT_EQ(f.size(), 1u);
  f.clear();
  v = Verdict::kHealthy;
  postgres::AddTimelineFindings({node("a", "3", "0/9000000", "1:0/3000000,2:0/9000000"),
                                 node("b", "3", "0/9000000", "1:0/3000000,2:0/9000000")},
                                &f, &v);
  EXPECT_EQ(v, Verdict::kHealthy);
  f.clear();
  postgres::AddTimelineFindings(
      {node("a", "4", "0/5000000", "1:0/3000000,2:0/9000000,3:0/4000000")}, &f, &v);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
}

TEST(GaleraRecoverTest, ParsesTheRecoveredPosition) {
  auto p = galera::ParseRecoveredPosition(
      "2026-01-01 0 [Note] InnoDB: x\n"
      "2026-01-01 0 [Note] WSREP: Recovered position: 8bf7d6f3-1c2d-11ee-a1b2-0a1b2c3d4e5f:42\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->uuid, "8bf7d6f3-1c2d-11ee-a1b2-0a1b2c3d4e5f");
  EXPECT_EQ(p->seqno, 42);
  EXPECT_FALSE(galera::ParseRecoveredPosition("no position here"));
  EXPECT_FALSE(galera::ParseRecoveredPosition(
      "WSREP: Recovered position: 00000000-0000-0000-0000-000000000000:-1"));
  EXPECT_FALSE(galera::ParseRecoveredPosition(
      "WSREP: Recovered position: 8bf7d6f3-1c2d-11ee-a1b2-0a1b2c3d4e5f:-1"));
}

}  // namespace
}  // namespace hasteward::engine
