// The pure half of PostgreSQL's reconfigure: setting names and values (injection refused before a
// server is asked), values compared in the setting's unit, the plan of one setting from a given
// pg_settings row, the restart order for hot-standby limits, and the request with its replication
// mode (one verdict per case).
#include <gtest/gtest.h>

#include "engine/postgres/auto_conf_undo.h"
#include "engine/postgres/reconfigure_request.h"
#include "engine/postgres/setting_value.h"

namespace hasteward::engine::postgres {
namespace {

PgSetting WorkMem() {
  PgSetting s;
  s.name = "work_mem";
  s.context = SettingContext::kUser;
  s.type = SettingType::kInteger;
  s.unit = "kB";
  s.min_value = 64;
  s.max_value = 2147483647;
  s.source = "default";
  s.boot_value = "4096";
  s.running = "4MB";
  return s;
}

PgSetting MaxConnections() {
  PgSetting s;
  s.name = "max_connections";
  s.context = SettingContext::kPostmaster;
  s.type = SettingType::kInteger;
  s.min_value = 1;
  s.max_value = 262143;
  s.source = "configuration file";
  s.boot_value = "100";
  s.running = "50";
  s.file_value = "50";
  return s;
}

PgSetting WalLevel() {
  PgSetting s;
  s.name = "wal_level";
  s.context = SettingContext::kPostmaster;
  s.type = SettingType::kEnum;
  s.enum_values = {"minimal", "replica", "logical"};
  s.running = "replica";
  s.boot_value = "replica";
  return s;
}

TEST(PostgresSettingNameTest, IdentifiersAreLowercasedAndEverythingElseRefused) {
  EXPECT_EQ(*NormalizeSettingName("Work_Mem"), "work_mem");
  EXPECT_EQ(*NormalizeSettingName("auto_explain.log_min_duration"),
            "auto_explain.log_min_duration");
  for (const char* bad : {"", "name with space", "work_mem\n[section]", "work_mem;", "a'b",
                          "work_mem#x", "1abc", "a..b", "a.", "a-b", "x\x01",
                          "a_name_that_is_far_too_long_for_postgresql_to_keep_it_as_a_name_xx"}) {
    auto name = NormalizeSettingName(bad);
    ASSERT_FALSE(name.ok()) << bad;
    EXPECT_EQ(name.status().code(), core::ErrorCode::kUsage) << bad;
  }
}

TEST(PostgresSettingValueTest, ControlCharactersAreRefusedQuotesAreNot) {
  EXPECT_TRUE(CheckSettingValue("x", "it's '; DROP TABLE t; -- # [section]").ok());
  for (const char* bad : {"8MB\n", "a\nb", "a\rb", "a\tb", "\x01", "a\x7f"}) {
    auto checked = CheckSettingValue("x", bad);
    ASSERT_FALSE(checked.ok()) << bad;
    EXPECT_EQ(checked.code(), core::ErrorCode::kUsage);
  }
  EXPECT_FALSE(CheckSettingValue("x", std::string(5000, 'a')).ok());
}

TEST(PostgresSettingValueTest, NumbersAreCheckedWithUnitAndRange) {
  PgSetting mem = WorkMem();
  EXPECT_EQ(*NormalizeSettingValue(mem, "8MB"), "8MB");
  EXPECT_EQ(*NormalizeSettingValue(mem, " 8192 "), "8192");
  EXPECT_EQ(*NormalizeSettingValue(mem, "8 MB"), "8 MB");
  for (const char* bad :
       {"8mb", "8 s", "abc", "1'; DROP", "0x10", "010", "8MB # x", "32kB", "4TB", "", "-"}) {
    auto value = NormalizeSettingValue(mem, bad);
    ASSERT_FALSE(value.ok()) << bad;
    EXPECT_EQ(value.status().code(), core::ErrorCode::kUsage) << bad;
  }
  PgSetting timeout = WorkMem();
  timeout.unit = "ms";
  timeout.min_value = 0;
  EXPECT_TRUE(NormalizeSettingValue(timeout, "1.5min").ok());
  EXPECT_FALSE(NormalizeSettingValue(timeout, "1MB").ok());
  EXPECT_FALSE(NormalizeSettingValue(MaxConnections(), "10kB").ok());
}

TEST(PostgresSettingValueTest, BooleansAndEnumsTakeTheServersSpelling) {
  PgSetting flag = WorkMem();
  flag.type = SettingType::kBool;
  flag.unit.clear();
  EXPECT_EQ(*NormalizeSettingValue(flag, "TRUE"), "on");
  EXPECT_EQ(*NormalizeSettingValue(flag, "0"), "off");
  EXPECT_FALSE(NormalizeSettingValue(flag, "maybe").ok());
  EXPECT_EQ(*NormalizeSettingValue(WalLevel(), "Logical"), "logical");
  EXPECT_FALSE(NormalizeSettingValue(WalLevel(), "archive").ok());
}

TEST(PostgresSettingValueTest, SameValueInAnotherUnitIsTheSame) {
  PgSetting mem = WorkMem();
  EXPECT_TRUE(SameSettingValue(mem, "8MB", "8192kB"));
  EXPECT_TRUE(SameSettingValue(mem, "8192", "8MB"));
  EXPECT_FALSE(SameSettingValue(mem, "8MB", "9MB"));
  PgSetting buffers = mem;
  buffers.unit = "8kB";
  EXPECT_TRUE(SameSettingValue(buffers, "32MB", "4096"));
  buffers.boot_value = "1024";
  EXPECT_EQ(PersistedValue(buffers), "8192kB");
  EXPECT_EQ(PersistedValue(mem), "4096kB");
}

TEST(PostgresDecideChangeTest, ActionFollowsRunningPersistedAndContext) {
  PgSetting mem = WorkMem();
  EXPECT_EQ(DecideChange(mem, "8MB", false)->action, ChangeAction::kApplyAndPersist);
  mem.running = "8MB";
  EXPECT_EQ(DecideChange(mem, "8MB", false)->action, ChangeAction::kPersistOnly);
  mem.file_value = "8192kB";
  EXPECT_EQ(DecideChange(mem, "8MB", false)->action, ChangeAction::kUnchanged);
  mem.source = "user";  // ALTER ROLE ... SET: the session's value says nothing system-wide
  EXPECT_EQ(DecideChange(mem, "8MB", false)->action, ChangeAction::kApplyAndPersist);

  auto refused = DecideChange(MaxConnections(), "60", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(refused.status().message().find("static variable, needs --restart"), std::string::npos);
  EXPECT_EQ(DecideChange(MaxConnections(), "60", true)->action, ChangeAction::kPersistAndRestart);
  EXPECT_EQ(DecideChange(MaxConnections(), "50", false)->action, ChangeAction::kUnchanged);
}

TEST(PostgresDecideChangeTest, InternalReservedAndCommandLineSettingsAreRefused) {
  PgSetting internal = WorkMem();
  internal.name = "block_size";
  internal.context = SettingContext::kInternal;
  EXPECT_EQ(DecideChange(internal, "8192", true).status().code(), core::ErrorCode::kUsage);
  PgSetting port = MaxConnections();
  port.name = "port";
  EXPECT_EQ(DecideChange(port, "5433", true).status().code(), core::ErrorCode::kUsage);
  PgSetting argv = WorkMem();
  argv.source = "command line";
  EXPECT_EQ(DecideChange(argv, "8MB", true).status().code(), core::ErrorCode::kUsage);
  EXPECT_FALSE(ParseSettingContext("session").has_value());
  EXPECT_EQ(ParseSettingContext("superuser-backend"), SettingContext::kSuperuserBackend);
}

TEST(PostgresDecideChangeTest, OnlyALoweredHotStandbyLimitRestartsThePrimaryFirst) {
  PgSetting conns = MaxConnections();
  EXPECT_TRUE(LowersStandbyLimit(conns, "40"));
  EXPECT_FALSE(LowersStandbyLimit(conns, "60"));
  EXPECT_FALSE(LowersStandbyLimit(WorkMem(), "1MB"));
}

TEST(PostgresReconfigureRequestTest, ReplicationModeIsSynchronousStandbyNames) {
  ReconfigureRequest request;
  request.replication_mode = ReplicationMode::kSemisync;
  auto semisync = PostgresSettingsOf(request);
  ASSERT_TRUE(semisync.ok());
  EXPECT_EQ(semisync->at(kSynchronousStandbyNames), "ANY 1 (*)");
  request.replication_mode = ReplicationMode::kAsync;
  EXPECT_EQ(PostgresSettingsOf(request)->at(kSynchronousStandbyNames), "");
  request.settings = {{"synchronous_standby_names", ""}, {"Work_Mem", "8MB"}};
  auto merged = PostgresSettingsOf(request);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->size(), 2U);
  EXPECT_EQ(merged->at("work_mem"), "8MB");
}

TEST(PostgresReconfigureRequestTest, ContradictionsWaitPointAndDuplicatesAreRefused) {
  ReconfigureRequest request;
  request.replication_mode = ReplicationMode::kSemisync;
  request.settings = {{"synchronous_standby_names", "any 1(*)"}};
  EXPECT_TRUE(PostgresSettingsOf(request).ok());
  request.settings = {{"synchronous_standby_names", "FIRST 1 (a)"}};
  auto contradiction = PostgresSettingsOf(request);
  ASSERT_FALSE(contradiction.ok());
  EXPECT_NE(contradiction.status().message().find("contradicts the replication mode"),
            std::string::npos);
  request.settings.clear();
  request.wait_point = SemisyncWaitPoint::kAfterSync;
  EXPECT_EQ(PostgresSettingsOf(request).status().code(), core::ErrorCode::kUsage);
  ReconfigureRequest twice;
  twice.settings = {{"work_mem", "8MB"}, {"WORK_MEM", "9MB"}};
  EXPECT_EQ(PostgresSettingsOf(twice).status().code(), core::ErrorCode::kUsage);
  EXPECT_EQ(PostgresSettingsOf(ReconfigureRequest{}).status().code(), core::ErrorCode::kUsage);
}

TEST(PostgresAutoConfUndoTest, LinesFromTheFirstChangedOneAreSetAgainInFileOrder) {
  AutoConfEntries before = {{"primary_conninfo", "host=a"},
                            {"log_line_prefix", "%m [%p] "},
                            {"work_mem", "5MB"},
                            {"max_connections", "60"}};
  // work_mem was set, log_line_prefix moved to the end by a set; shared_buffers had no line.
  auto steps = AutoConfUndoSteps(before, {"log_line_prefix", "work_mem", "shared_buffers"});
  std::vector<AlterSystemStep> want = {{"shared_buffers", std::nullopt},
                                       {"log_line_prefix", "%m [%p] "},
                                       {"work_mem", "5MB"},
                                       {"max_connections", "60"}};
  EXPECT_EQ(steps, want);
  EXPECT_TRUE(AutoConfUndoSteps(before, {}).empty());
  EXPECT_EQ(AutoConfUndoSteps({}, {"work_mem"}),
            (std::vector<AlterSystemStep>{{"work_mem", std::nullopt}}));
}

}  // namespace
}  // namespace hasteward::engine::postgres
