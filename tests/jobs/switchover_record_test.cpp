#include "jobs/switchover_record.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/temp_dir.h"

namespace hasteward::jobs {
namespace {

SwitchoverRecord Record(const std::string& ns, const std::string& cluster, bool ok) {
  SwitchoverRecord r;
  r.ns = ns;
  r.cluster = cluster;
  r.engine = "mariadb";
  r.kind = ok ? "switchover" : "failover";
  r.finished_at = 1750000000;
  r.duration_seconds = ok ? 0.5 : 12.25;
  r.ok = ok;
  r.failed_step = ok ? "" : "catch-up";
  r.old_primary = cluster + "-0";
  r.new_primary = ok ? cluster + "-1" : "";
  r.error = ok ? "" : "switchover aborted at step 'catch-up': timed out";
  return r;
}

void ExpectSame(const SwitchoverRecord& got, const SwitchoverRecord& want) {
  EXPECT_EQ(got.ns, want.ns);
  EXPECT_EQ(got.cluster, want.cluster);
  EXPECT_EQ(got.engine, want.engine);
  EXPECT_EQ(got.kind, want.kind);
  EXPECT_EQ(got.finished_at, want.finished_at);
  EXPECT_DOUBLE_EQ(got.duration_seconds, want.duration_seconds);
  EXPECT_EQ(got.ok, want.ok);
  EXPECT_EQ(got.failed_step, want.failed_step);
  EXPECT_EQ(got.old_primary, want.old_primary);
  EXPECT_EQ(got.new_primary, want.new_primary);
  EXPECT_EQ(got.error, want.error);
}

TEST(SwitchoverRecordTest, EncodeDecodeRoundTrips) {
  for (bool ok : {true, false}) {
    SwitchoverRecord want = Record("shop", "db", ok);
    auto got = DecodeSwitchoverRecord(EncodeSwitchoverRecord(want));
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectSame(*got, want);
  }
}

TEST(SwitchoverRecordTest, DecodeRefusesWhatIsNotARecord) {
  EXPECT_FALSE(DecodeSwitchoverRecord("").ok());
  EXPECT_FALSE(DecodeSwitchoverRecord("[1,2]").ok());
  EXPECT_FALSE(DecodeSwitchoverRecord(R"({"namespace":"shop"})").ok());
  EXPECT_FALSE(
      DecodeSwitchoverRecord(
          R"({"namespace":"shop","cluster":"db","finished_at":"x","duration_seconds":1,"ok":true})")
          .ok());
}

TEST(SwitchoverRecordTest, MissingDirectoryHasNoRecords) {
  auto made = core::TempDir::Create("hs-switchover-record-");
  ASSERT_TRUE(made.ok());
  const core::TempDir& tmp = *made;
  EXPECT_TRUE(LoadSwitchoverRecords(tmp.path() + "/nowhere").empty());
}

TEST(SwitchoverRecordTest, SaveReplacesTheClustersRecordAndLoadOrdersByCluster) {
  auto made = core::TempDir::Create("hs-switchover-record-");
  ASSERT_TRUE(made.ok());
  const core::TempDir& tmp = *made;
  ASSERT_TRUE(SaveSwitchoverRecord(tmp.path(), Record("shop", "pg", true)).ok());
  ASSERT_TRUE(SaveSwitchoverRecord(tmp.path(), Record("shop", "db", true)).ok());
  ASSERT_TRUE(SaveSwitchoverRecord(tmp.path(), Record("blog", "db", true)).ok());
  // A second run of shop/db replaces its record.
  ASSERT_TRUE(SaveSwitchoverRecord(tmp.path(), Record("shop", "db", false)).ok());
  auto records = LoadSwitchoverRecords(tmp.path());
  ASSERT_EQ(records.size(), 3U);
  ExpectSame(records[0], Record("blog", "db", true));
  ExpectSame(records[1], Record("shop", "db", false));
  ExpectSame(records[2], Record("shop", "pg", true));
  EXPECT_TRUE(std::filesystem::exists(tmp.path() + "/switchovers/shop/db.json"));
}

TEST(SwitchoverRecordTest, ACorruptFileOrATempFileDoesNotHideTheOthers) {
  auto made = core::TempDir::Create("hs-switchover-record-");
  ASSERT_TRUE(made.ok());
  const core::TempDir& tmp = *made;
  ASSERT_TRUE(SaveSwitchoverRecord(tmp.path(), Record("shop", "db", true)).ok());
  std::ofstream(tmp.path() + "/switchovers/shop/broken.json") << "{ not json";
  // A writer's half-written temp file is never read as a record.
  std::ofstream(tmp.path() + "/switchovers/shop/pg.json.tmp-1234") << "{";
  auto records = LoadSwitchoverRecords(tmp.path());
  ASSERT_EQ(records.size(), 1U);
  ExpectSame(records[0], Record("shop", "db", true));
}

}  // namespace
}  // namespace hasteward::jobs
