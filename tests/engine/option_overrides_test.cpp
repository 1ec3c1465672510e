// The pure half of MariaDB's persisted overrides: names and values that could inject a second
// option, a comment, a section or SQL are refused; values are spelled as the server spells them;
// the override file renders and parses back; my_print_defaults output gives the last value.
#include "engine/mariadb/option_overrides.h"

#include <gtest/gtest.h>

namespace hasteward::engine::mariadb {
namespace {

TEST(OptionOverridesTest, NamesAreNormalizedToTheServersSpelling) {
  auto name = NormalizeVariableName("Max-Connections");
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  EXPECT_EQ(*name, "max_connections");
}

TEST(OptionOverridesTest, InjectionInNamesIsRefused) {
  for (const char* bad : {"", "max_connections\nread_only", "a=b", "a b", "[mysqld]", "#x", "x;y",
                          "x'y", "x\"y", "x\\y", "x\ty", "x\x01y"}) {
    auto name = NormalizeVariableName(bad);
    EXPECT_FALSE(name.ok()) << "accepted '" << bad << "'";
    EXPECT_EQ(name.status().code(), core::ErrorCode::kUsage);
  }
  EXPECT_FALSE(NormalizeVariableName(std::string(65, 'a')).ok());
}

TEST(OptionOverridesTest, InjectionInValuesIsRefused) {
  for (const char* bad : {"", "1\nread_only=OFF", "1\r", "ON # comment", "ON;x", "#", "[mysqld]",
                          "ab]", "'x'", "x\"", "x\\n", "a b", "\x1b", "x`y"}) {
    core::Status status = CheckOptionValue("init_connect", bad);
    EXPECT_FALSE(status.ok()) << "accepted '" << bad << "'";
    EXPECT_EQ(status.code(), core::ErrorCode::kUsage);
  }
  EXPECT_TRUE(CheckOptionValue("optimizer_switch", "index_merge=on,mrr=off").ok());
  EXPECT_TRUE(CheckOptionValue("tmpdir", "/var/tmp").ok());
}

TEST(OptionOverridesTest, ValuesAreSpelledAsTheServerSpellsThem) {
  EXPECT_EQ(*NormalizeValue("read_only", VariableType::kBoolean, "1", ""), "ON");
  EXPECT_EQ(*NormalizeValue("read_only", VariableType::kBoolean, "false", ""), "OFF");
  EXPECT_EQ(*NormalizeValue("max_connections", VariableType::kInteger, "0200", ""), "200");
  EXPECT_EQ(*NormalizeValue("w", VariableType::kEnum, "after_sync", "AFTER_SYNC,AFTER_COMMIT"),
            "AFTER_SYNC");
  EXPECT_FALSE(NormalizeValue("read_only", VariableType::kBoolean, "maybe", "").ok());
  EXPECT_FALSE(NormalizeValue("max_connections", VariableType::kInteger, "32M", "").ok());
  EXPECT_FALSE(NormalizeValue("w", VariableType::kEnum, "never", "AFTER_SYNC,AFTER_COMMIT").ok());
  EXPECT_EQ(ClassifyVariableType("BIGINT UNSIGNED"), VariableType::kInteger);
  EXPECT_EQ(SqlLiteral(VariableType::kInteger, "200"), "200");
  EXPECT_EQ(SqlLiteral(VariableType::kEnum, "AFTER_SYNC"), "'AFTER_SYNC'");
}

TEST(OptionOverridesTest, RenderedFileParsesBack) {
  OptionOverrides overrides{{"rpl_semi_sync_master_enabled", "ON"}, {"max_connections", "200"}};
  std::string text = RenderOverrides(overrides);
  EXPECT_NE(text.find("[mysqld]\nmax_connections = 200\nrpl_semi_sync_master_enabled = ON\n"),
            std::string::npos)
      << text;
  auto parsed = ParseOverrides(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, overrides);
}

TEST(OptionOverridesTest, HandEditedFileIsNotParsed) {
  for (const char* text : {"[mysqld]\n!include /etc/other.cnf\n", "[client]\nx = 1\n",
                           "[mysqld]\nread_only = 'ON'\n", "[mysqld]\nskip-name-resolve\n"}) {
    auto parsed = ParseOverrides(text);
    EXPECT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), core::ErrorCode::kCorruption);
  }
}

TEST(OptionOverridesTest, PrintDefaultsLastOccurrenceWins) {
  OptionOverrides options = ParsePrintDefaults(
      "--port=3306\n--rpl-semi-sync-master-enabled=ON\n--skip-name-resolve\n"
      "--loose-rpl_semi_sync_master_enabled=OFF\n--log-bin\n");
  EXPECT_EQ(options["port"], "3306");
  EXPECT_EQ(options["rpl_semi_sync_master_enabled"], "OFF");
  EXPECT_EQ(options["name_resolve"], "OFF");
  EXPECT_EQ(options["log_bin"], "ON");
}

TEST(OptionOverridesTest, IncludeLineIsFoundOnlyAsItsOwnLine) {
  const std::string path = "/srv/db-0/hasteward-overrides.cnf";
  EXPECT_TRUE(IncludesOverrideFile("[mysqld]\nport = 1\n\n" + IncludeLine(path) + "\n", path));
  EXPECT_FALSE(IncludesOverrideFile("[mysqld]\n# " + IncludeLine(path) + "\n", path));
  EXPECT_FALSE(IncludesOverrideFile("[mysqld]\n", path));
}

}  // namespace
}  // namespace hasteward::engine::mariadb
