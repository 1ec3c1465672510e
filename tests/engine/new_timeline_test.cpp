// The pure parts of a plain restore's new timeline: the restore_command a data directory's
// postgresql.auto.conf sets (the last one wins, quotes unescaped), and the recovery settings
// (the tree's WAL replayed in archive recovery and a promotion at its end, the backup's own
// timeline followed, history files from the markers first, segments never fetched).
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

TEST(NewTimelineTest, SettingsReplayTheTreesWalFollowTheBackupsTimelineAndFetchOnlyHistories) {
  std::string settings = NewTimelineSettings("/d/pg_wal/m", "fetch %f %p");
  // No target: a backup from a standby is consistent only at the end of its WAL, where a target
  // of 'immediate' is "not reached" and the server refuses to start.
  EXPECT_EQ(settings.find("recovery_target ="), std::string::npos);
  EXPECT_EQ(settings.find("recovery_target_action"), std::string::npos);
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
