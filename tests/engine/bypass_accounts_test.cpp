#include "engine/mariadb/bypass_accounts.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hasteward::engine::mariadb {
namespace {

using Privileges = std::vector<std::string>;

TEST(GlobalPrivilegesOfTest, ReadsTheListGrantedOnEverythingToTheRole) {
  EXPECT_EQ(GlobalPrivilegesOf("GRANT READ_ONLY ADMIN ON *.* TO `writers`", "writers"),
            Privileges{"READ_ONLY ADMIN"});
  EXPECT_EQ(GlobalPrivilegesOf("GRANT SELECT, INSERT, READ_ONLY ADMIN ON *.* TO `w` WITH GRANT "
                               "OPTION",
                               "w"),
            (Privileges{"SELECT", "INSERT", "READ_ONLY ADMIN"}));
  EXPECT_EQ(GlobalPrivilegesOf("GRANT ALL PRIVILEGES ON *.* TO `all`", "all"),
            Privileges{"ALL PRIVILEGES"});
}

// A role's SHOW GRANTS also lists what the roles it holds were granted: those lines name the
// inner role and must not count for the outer one (its holders are found through the mapping).
TEST(GlobalPrivilegesOfTest, IgnoresLinesOfAnotherGranteeAndGrantsThatAreNotGlobal) {
  EXPECT_TRUE(GlobalPrivilegesOf("GRANT READ_ONLY ADMIN ON *.* TO `inner`", "outer").empty());
  EXPECT_TRUE(GlobalPrivilegesOf("GRANT `inner` TO `outer`", "outer").empty());
  EXPECT_TRUE(GlobalPrivilegesOf("GRANT INSERT ON `app`.* TO `outer`", "outer").empty());
  EXPECT_TRUE(GlobalPrivilegesOf("GRANT READ_ONLY ADMIN ON *.* TO `outer`@`%`", "outer").empty())
      << "an account named like the role is not the role";
  EXPECT_TRUE(GlobalPrivilegesOf("", "outer").empty());
}

TEST(GlobalPrivilegesOfTest, ABacktickInTheRoleNameIsDoubled) {
  EXPECT_EQ(GlobalPrivilegesOf("GRANT SUPER ON *.* TO `a``b`", "a`b"), Privileges{"SUPER"});
}

TEST(FenceExemptionsTest, SparesTheOwnAccountAndItsLocalTwinsButNoOtherHostOfThatName) {
  FenceExemptions exempt{.own_user = "root", .own_host = "10.0.0.%", .users = {"repl"}};
  EXPECT_TRUE(exempt.Exempts("root", "10.0.0.%"));
  EXPECT_TRUE(exempt.Exempts("root", "localhost"));
  EXPECT_TRUE(exempt.Exempts("root", "127.0.0.1"));
  EXPECT_FALSE(exempt.Exempts("root", "%")) << "an application on 'root'@'%' is not HASteward";
  EXPECT_TRUE(exempt.Exempts("repl", "%"));
  EXPECT_FALSE(exempt.Exempts("app", "localhost"));
}

// Issue 49: an application on HASteward's own account is fenced like any other session; only the
// connections HASteward holds itself (by id) are spared.
TEST(SessionsToKillTest, KillsTheOwnAccountsSessionsButHastewardsOwnConnections) {
  std::vector<ServerSession> sessions = {{"10", "hasteward", "Sleep"},
                                         {"11", "hasteward", "Query"},
                                         {"12", "hasteward", "Sleep"},
                                         {"13", "app", "Query"}};
  EXPECT_EQ(SessionsToKill(sessions, {"hasteward"}, {"10", "12"}), std::vector<std::string>{"11"});
}

TEST(SessionsToKillTest, KillsOnlyTheNamedUsersAndSparesBinlogStreams) {
  std::vector<ServerSession> sessions = {{"20", "dba", "Query"},
                                         {"21", "dba", "Binlog Dump GTID"},
                                         {"22", "dba", "Binlog Dump"},
                                         {"23", "repl", "Query"},
                                         {"24", "direct", "Sleep"}};
  EXPECT_EQ(SessionsToKill(sessions, {"dba", "direct"}, {}),
            (std::vector<std::string>{"20", "24"}));
  EXPECT_TRUE(SessionsToKill(sessions, {}, {}).empty());
}

TEST(BypassAccountTest, QuotesAnAccountWithItsHostAndARoleAlone) {
  BypassAccount account{.user = "app", .host = "%", .role = false, .privileges = {}};
  BypassAccount role{.user = "writers", .host = "", .role = true, .privileges = {}};
  EXPECT_EQ(account.quoted(), "'app'@'%'");
  EXPECT_EQ(role.quoted(), "'writers'");
  EXPECT_EQ(role.description(), "role 'writers'");
}

}  // namespace
}  // namespace hasteward::engine::mariadb
