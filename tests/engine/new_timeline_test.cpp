// The pure parts of a plain restore's new timeline: the restore_command a data directory's
// postgresql.auto.conf sets (the last one wins, quotes unescaped), and the recovery settings
// (the backup's consistent point, a promotion, the backup's own timeline followed, history files
// from the markers first, segments never fetched).
#include "engine/postgres/new_timeline.h"

#include <gtest/gtest.h>

namespace hasteward::engine::postgres {
namespace new_timeline_test {
namespace {

TEST(NewTimelineTest, TheLastRestoreCommandOfAutoConfWinsUnescaped) {
  EXPECT_FALSE(AutoConfRestoreCommand("# Do not edit\narchive_mode = 'on'\n").has_value());
  auto command = AutoConfRestoreCommand(
      "restore_command = 'old %f %p'\narchive_mode = 'on'\n"
      "restore_command = '''/usr/bin/hasteward'' wal-fetch %f %p'\n");
  ASSERT_TRUE(command.has_value());
  EXPECT_EQ(*command, "'/usr/bin/hasteward' wal-fetch %f %p");
  EXPECT_FALSE(AutoConfRestoreCommand("restore_command = 'unterminated\n").has_value());
}

TEST(NewTimelineTest, SettingsStopAtConsistencyPromoteAndFetchOnlyHistories) {
  std::string settings = NewTimelineSettings("/d/pg_wal/m", "fetch %f %p");
  EXPECT_NE(settings.find("recovery_target = 'immediate'"), std::string::npos);
  EXPECT_NE(settings.find("recovery_target_action = 'promote'"), std::string::npos);
  EXPECT_NE(settings.find("recovery_target_timeline = 'current'"), std::string::npos);
  EXPECT_NE(
      settings.find("*.history) cp \"/d/pg_wal/m/%f\" \"%p\" 2>/dev/null || { fetch %f %p; }"),
      std::string::npos)
      << settings;
  EXPECT_NE(settings.find("*) exit 1"), std::string::npos);
  EXPECT_NE(NewTimelineSettings("/m", "").find("|| exit 1 ;;"), std::string::npos);
}

}  // namespace
}  // namespace new_timeline_test
}  // namespace hasteward::engine::postgres
