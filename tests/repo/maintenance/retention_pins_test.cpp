// What standby cursors pin when prune plans (fake "now"): a live cursor keeps the backup it names
// against the policy, an expired one pins nothing and says so, a cursor of another cluster or an
// unknown backup pins nothing here, and an unreadable cursor keeps every backup.
#include "repo/maintenance/retention_pins.h"

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "repo/maintenance/retention_plan.h"

namespace hasteward::repo {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace retention_pins_test {
namespace {

constexpr int64_t kNow = 1900000000;

SnapshotMeta Backup(const std::string& id, const std::string& time,
                    const std::string& cluster = "shop") {
  return {id,
          time,
          "host",
          {"/pt/" + cluster + "/pgdumpall.sql"},
          {"engine=cnpg", "cluster=" + cluster, "namespace=pt", "type=backup"}};
}

CursorRead Cursor(const std::string& standby, const std::string& backup, int64_t written,
                  const std::string& cluster = "shop") {
  StandbyCursor cursor;
  cursor.standby = standby;
  cursor.engine = "cnpg";
  cursor.namespace_name = "pt";
  cursor.cluster = cluster;
  cursor.backup_id = backup;
  cursor.backup_end = "2030-03-17T00:00:00Z";
  cursor.written_unix = written;
  cursor.ttl_seconds = 3600;
  return CursorRead{StandbyCursorObjectName(standby), cursor, core::Status::Ok()};
}

CursorRead Unreadable(const std::string& standby) {
  return CursorRead{StandbyCursorObjectName(standby), std::nullopt,
                    core::Corruption("cannot decrypt it")};
}

std::vector<SnapshotMeta> Backups() {
  return {Backup("a1", "2030-03-15T00:00:00Z"), Backup("a2", "2030-03-16T00:00:00Z"),
          Backup("a3", "2030-03-17T00:00:00Z"), Backup("b1", "2030-03-15T00:00:00Z", "other")};
}

// The backups a keep-last 1 prune removes with these pins.
std::set<std::string> Removed(const RetentionPins& pins) {
  PruneOptions options;
  options.policy.keep_last = 1;
  options.now = std::chrono::system_clock::from_time_t(kNow);
  options.pins = &pins;
  auto plan = PlanRetention(Backups(), options);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  auto ids = plan->RemoveIds();
  return {ids.begin(), ids.end()};
}

TEST(RetentionPinsTest, WithoutCursorsThePolicyAlone) {
  EXPECT_EQ(Removed(RetentionPins{}), (std::set<std::string>{"a1", "a2"}));
}

TEST(RetentionPinsTest, ALiveCursorKeepsItsBackupWithTheReason) {
  RetentionPins pins = RetentionPins::Judge({Cursor("shop-dr", "a1", kNow - 600)}, kNow);
  EXPECT_EQ(Removed(pins), (std::set<std::string>{"a2"}));
  EXPECT_EQ(pins.cursors().front().state, CursorState::kLive);
  EXPECT_EQ(*pins.PinReason("cnpg/pt/shop", "a1"),
            "pinned by standby 'shop-dr' until 2030-03-17T18:36:40Z");
  EXPECT_FALSE(pins.PinReason("cnpg/pt/shop", "a2").has_value());
}

TEST(RetentionPinsTest, AnExpiredCursorPinsNothingAndSaysSo) {
  RetentionPins pins = RetentionPins::Judge({Cursor("shop-dr", "a1", kNow - 3601)}, kNow);
  EXPECT_EQ(Removed(pins), (std::set<std::string>{"a1", "a2"}));
  EXPECT_EQ(pins.cursors().front().state, CursorState::kExpired);
  nlohmann::json json = pins.ToJson();
  EXPECT_EQ(json[0]["state"], "expired");
  EXPECT_EQ(json[0]["object"], "hasteward/standby-cursors/shop-dr.json");
  EXPECT_NE(pins.ToText().find("shop-dr.json: expired"), std::string::npos) << pins.ToText();
}

TEST(RetentionPinsTest, ACursorPinsOnlyItsOwnClustersBackup) {
  // The same ID under another cluster's key (IDs are unique, but the key must match too).
  RetentionPins pins = RetentionPins::Judge({Cursor("other-dr", "a1", kNow - 60, "other")}, kNow);
  EXPECT_EQ(Removed(pins), (std::set<std::string>{"a1", "a2"}));
}

TEST(RetentionPinsTest, AnUnreadableCursorKeepsEveryBackupOfEveryCluster) {
  RetentionPins pins =
      RetentionPins::Judge({Cursor("shop-dr", "a1", kNow - 3601), Unreadable("lost-dr")}, kNow);
  EXPECT_TRUE(Removed(pins).empty());
  EXPECT_EQ(pins.cursors().back().state, CursorState::kUnreadable);
  EXPECT_NE(pins.PinReason("cnpg/pt/other", "b1")->find("'lost-dr.json' is unreadable"),
            std::string::npos);
}

}  // namespace
}  // namespace retention_pins_test
}  // namespace hasteward::repo
