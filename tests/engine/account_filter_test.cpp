// The users section of a mariadb-dump --system=users dump, filtered per --users mode: protected
// accounts never touched, existing accounts kept (create-missing), CREATE OR REPLACE (replace),
// nothing (skip); data, routines and lines split across writes stream through unchanged.
#include "engine/mariadb/account_filter.h"

#include <gtest/gtest.h>

namespace hasteward::engine::mariadb {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace account_filter_test {
namespace {

// The tail of a real 10.11 dump (trimmed), with a routine whose body starts a line with GRANT.
constexpr char kDump[] =
    "INSERT INTO `t` VALUES (1,'GRANT ALL'),(2,'b');\n"
    "DELIMITER ;;\n"
    "CREATE PROCEDURE p() BEGIN\n"
    "CREATE USER x@y;\n"
    "END ;;\n"
    "DELIMITER ;\n"
    "CREATE USER `mariadb.sys`@`localhost` ACCOUNT LOCK PASSWORD EXPIRE;\n"
    "CREATE USER `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR "
    "unix_socket;\n"
    "CREATE USER `admin`@`%` IDENTIFIED BY PASSWORD '*AAA';\n"
    "CREATE USER `app`@`%` IDENTIFIED BY PASSWORD '*BBB';\n"
    "CREATE USER `old`@`10.%` IDENTIFIED BY PASSWORD '*CCC';\n"
    "SELECT COALESCE(CURRENT_ROLE(),'NONE') into @current_role;\n"
    "CREATE ROLE IF NOT EXISTS mariadb_dump_import_role;\n"
    "GRANT mariadb_dump_import_role TO CURRENT_USER();\n"
    "SET ROLE mariadb_dump_import_role;\n"
    "/*!80001 CREATE ROLE 'r1' */;\n"
    "/*M!100005 CREATE ROLE 'r1' WITH ADMIN mariadb_dump_import_role */;\n"
    "/*M!100005 GRANT 'r1' TO 'root'@'localhost' WITH ADMIN OPTION */;\n"
    "GRANT ALL PRIVILEGES ON *.* TO `admin`@`%` IDENTIFIED BY PASSWORD '*AAA' WITH GRANT "
    "OPTION;\n"
    "GRANT `r1` TO `app`@`%`;\n"
    "GRANT SELECT ON `a TO b`.* TO `app`@`%`;\n"
    "/*M!100005 SET DEFAULT ROLE 'r1' FOR 'app'@'%' */;\n"
    "GRANT SELECT ON `shop`.* TO `old`@`10.%`;\n"
    "GRANT SELECT ON `shop`.`t` TO `r1`;\n"
    "SET ROLE NONE;\n"
    "DROP ROLE mariadb_dump_import_role;\n"
    "/*M!100203 EXECUTE IMMEDIATE CONCAT('SET ROLE ', @current_role) */;\n"
    "-- SET GLOBAL gtid_slave_pos='0-1-10';\n"
    "-- Dump completed on 2026-01-01";

AccountFilterOptions Options(UsersMode mode) {
  AccountFilterOptions o;
  o.mode = mode;
  o.protected_users = BuiltinProtectedUsers();
  o.protected_users.insert("admin");
  o.existing = {AccountKey("root", "localhost"), AccountKey("mariadb.sys", "localhost"),
                AccountKey("admin", "%"), AccountKey("old", "10.%")};
  return o;
}

// Runs the dump through the filter in writes of `chunk` bytes.
std::string Filter(UsersMode mode, size_t chunk, AccountFilterCounts* counts = nullptr) {
  auto inner = std::make_unique<core::MemorySink>();
  core::MemorySink* out = inner.get();
  AccountRestoreFilter f(std::move(inner), Options(mode));
  std::string dump = kDump;
  for (size_t pos = 0; pos < dump.size(); pos += chunk) {
    EXPECT_TRUE(f.Write(core::AsBytes(dump.substr(pos, chunk))).ok());
  }
  EXPECT_TRUE(f.Close().ok());
  if (counts != nullptr)
    *counts = f.counts();
  return core::AsString(out->data());
}

bool Has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(AccountFilterTest, CreateMissingCreatesOnlyAbsentUnprotectedAccounts) {
  AccountFilterCounts counts;
  std::string out = Filter(UsersMode::kCreateMissing, 1 << 16, &counts);
  EXPECT_TRUE(Has(out, "CREATE USER `app`@`%` IDENTIFIED BY PASSWORD '*BBB';\n"));
  EXPECT_TRUE(Has(out, "GRANT `r1` TO `app`@`%`;\n"));
  EXPECT_TRUE(Has(out, "GRANT SELECT ON `a TO b`.* TO `app`@`%`;\n"));
  EXPECT_TRUE(Has(out, "SET DEFAULT ROLE 'r1' FOR 'app'@'%'"));
  EXPECT_TRUE(Has(out, "/*M!100005 CREATE ROLE 'r1' WITH ADMIN"));
  EXPECT_TRUE(Has(out, "GRANT SELECT ON `shop`.`t` TO `r1`;\n"));
  EXPECT_TRUE(Has(out, "DROP ROLE mariadb_dump_import_role;\n"));
  // Existing: kept as the target has them. Protected: never touched.
  EXPECT_FALSE(Has(out, "`old`@`10.%`"));
  EXPECT_FALSE(Has(out, "`admin`"));
  EXPECT_FALSE(Has(out, "`root`@`localhost`"));
  EXPECT_FALSE(Has(out, "'root'@'localhost'"));
  EXPECT_FALSE(Has(out, "mariadb.sys"));
  // Data, routines and the trailer pass unchanged.
  EXPECT_TRUE(Has(out, "INSERT INTO `t` VALUES (1,'GRANT ALL'),(2,'b');\n"));
  EXPECT_TRUE(Has(out, "CREATE USER x@y;\nEND ;;\n"));
  EXPECT_TRUE(Has(out, "-- Dump completed on 2026-01-01"));
  EXPECT_EQ(counts.created, 2);  // app, r1
  EXPECT_EQ(counts.kept, 1);     // old
  EXPECT_EQ(counts.protected_, 3);
}

TEST(AccountFilterTest, ImportRoleIsGrantedToTheNamedRestoreAccount) {
  AccountFilterOptions o = Options(UsersMode::kCreateMissing);
  AccountFilterCounts counts;
  EXPECT_EQ(FilterAccountLine("GRANT mariadb_dump_import_role TO CURRENT_USER();", o, &counts),
            "GRANT mariadb_dump_import_role TO CURRENT_USER();");
  o.current_user = "admin@127.0.0.1";
  EXPECT_EQ(FilterAccountLine("GRANT mariadb_dump_import_role TO CURRENT_USER();", o, &counts),
            "GRANT mariadb_dump_import_role TO 'admin'@'127.0.0.1';");
}

TEST(AccountFilterTest, ReplaceRecreatesEveryUnprotectedAccount) {
  std::string out = Filter(UsersMode::kReplace, 1 << 16);
  EXPECT_TRUE(Has(out, "CREATE OR REPLACE USER `app`@`%` IDENTIFIED BY PASSWORD '*BBB';\n"));
  EXPECT_TRUE(Has(out, "CREATE OR REPLACE USER `old`@`10.%` IDENTIFIED BY PASSWORD '*CCC';\n"));
  EXPECT_TRUE(Has(out, "GRANT SELECT ON `shop`.* TO `old`@`10.%`;\n"));
  EXPECT_TRUE(Has(out, "/*M!100005 CREATE OR REPLACE ROLE 'r1' WITH ADMIN"));
  EXPECT_FALSE(Has(out, "`admin`"));
  EXPECT_FALSE(Has(out, "USER `root`"));
}

TEST(AccountFilterTest, SkipRestoresNoAccount) {
  std::string out = Filter(UsersMode::kSkip, 1 << 16);
  EXPECT_FALSE(Has(out, "CREATE USER `"));
  EXPECT_FALSE(Has(out, "\nGRANT "));
  EXPECT_FALSE(Has(out, "mariadb_dump_import_role"));
  EXPECT_TRUE(Has(out, "INSERT INTO `t`"));
  EXPECT_TRUE(Has(out, "CREATE USER x@y;\n"));  // inside the routine
}

TEST(AccountFilterTest, ResultDoesNotDependOnWriteSizes) {
  for (UsersMode mode : {UsersMode::kSkip, UsersMode::kCreateMissing, UsersMode::kReplace}) {
    std::string whole = Filter(mode, 1 << 16);
    for (size_t chunk : {1, 2, 7, 63, 64, 65, 200}) {
      EXPECT_EQ(Filter(mode, chunk), whole) << UsersModeName(mode) << " chunk " << chunk;
    }
  }
}

TEST(AccountFilterTest, DumpWithoutUsersPassesByteForByte) {
  std::string dump =
      "-- MariaDB dump\nCREATE TABLE `t` (\n  `id` int\n);\nINSERT INTO `t` "
      "VALUES (1);\n" +
      std::string(200, 'x') + "\n-- Dump completed";
  auto inner = std::make_unique<core::MemorySink>();
  core::MemorySink* out = inner.get();
  AccountRestoreFilter f(std::move(inner), Options(UsersMode::kSkip));
  ASSERT_TRUE(f.Write(core::AsBytes(dump)).ok());
  ASSERT_TRUE(f.Close().ok());
  EXPECT_EQ(core::AsString(out->data()), dump);
}

TEST(AccountFilterTest, UsersModeNamesRoundTrip) {
  for (UsersMode mode : {UsersMode::kSkip, UsersMode::kCreateMissing, UsersMode::kReplace}) {
    auto parsed = ParseUsersMode(UsersModeName(mode));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, mode);
  }
  EXPECT_EQ(ParseUsersMode("all").status().code(), core::ErrorCode::kUsage);
}

}  // namespace
}  // namespace account_filter_test
}  // namespace hasteward::engine::mariadb
