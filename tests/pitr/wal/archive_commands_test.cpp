#include <gtest/gtest.h>

#include "pitr/pitr.h"

namespace hasteward::pitr {
namespace {

WalCommandContext Context() {
  WalCommandContext context;
  context.binary = "/opt/hs/hasteward";
  context.repository = "rest:http://127.0.0.1:8000/repo/";
  context.password_file = "/etc/hs/pass word";
  context.cluster.name = "shop";
  context.cluster.ns = "it's";
  return context;
}

TEST(ArchiveCommandsTest, CommandsNameTheClusterRepositoryAndPasswordFileQuoted) {
  auto commands = BuildArchiveCommands(Context());
  ASSERT_TRUE(commands.ok()) << commands.status().ToString();
  EXPECT_EQ(commands->archive_command,
            "'/opt/hs/hasteward' -q wal-push -e cnpg -c 'shop' -n 'it'\\''s' -r "
            "'rest:http://127.0.0.1:8000/repo/' --password-file '/etc/hs/pass word' \"%p\"");
  EXPECT_NE(commands->restore_command.find(" -q wal-fetch -e cnpg "), std::string::npos);
  EXPECT_TRUE(commands->restore_command.ends_with(" \"%f\" \"%p\""));
}

TEST(ArchiveCommandsTest, PercentSignsOfOursAreEscapedForTheServer) {
  WalCommandContext context = Context();
  context.repository = "/backups/100%/repo";
  auto commands = BuildArchiveCommands(context);
  ASSERT_TRUE(commands.ok());
  EXPECT_NE(commands->archive_command.find("'/backups/100%%/repo'"), std::string::npos);
}

TEST(ArchiveCommandsTest, RefusesWithoutPasswordFileOrWithCredentialsInTheLocation) {
  WalCommandContext context = Context();
  context.password_file.clear();
  auto no_file = BuildArchiveCommands(context);
  ASSERT_FALSE(no_file.ok());
  EXPECT_EQ(no_file.status().code(), core::ErrorCode::kUsage);
  context = Context();
  context.repository = "rest:http://user:secret@127.0.0.1:8000/repo/";
  auto credentials = BuildArchiveCommands(context);
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().message().find("secret"), std::string::npos);
}

TEST(ArchiveCommandsTest, AnS3RepositoryCarriesTheCredentialsFileQuotedAndEscaped) {
  WalCommandContext context = Context();
  context.repository = "s3:http://127.0.0.1:7480/bucket/shop";
  context.s3_credentials_file = "/etc/hs/100% aws";
  auto commands = BuildArchiveCommands(context);
  ASSERT_TRUE(commands.ok()) << commands.status().ToString();
  EXPECT_EQ(commands->archive_command,
            "'/opt/hs/hasteward' -q wal-push -e cnpg -c 'shop' -n 'it'\\''s' -r "
            "'s3:http://127.0.0.1:7480/bucket/shop' --password-file '/etc/hs/pass word' "
            "--s3-credentials-file '/etc/hs/100%% aws' \"%p\"");
  EXPECT_NE(commands->restore_command.find(" --s3-credentials-file '/etc/hs/100%% aws' \"%f\""),
            std::string::npos);
}

TEST(ArchiveCommandsTest, RefusesAnS3RepositoryWithoutCredentialsFileNamingTheFlag) {
  WalCommandContext context = Context();
  context.repository = "s3:http://127.0.0.1:7480/bucket/shop";
  auto commands = BuildArchiveCommands(context);
  ASSERT_FALSE(commands.ok());
  EXPECT_EQ(commands.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(commands.status().hint().find("--s3-credentials-file"), std::string::npos);
}

TEST(ArchiveCommandsTest, OtherRepositoriesNeedNoCredentialsFile) {
  auto commands = BuildArchiveCommands(Context());
  ASSERT_TRUE(commands.ok());
  EXPECT_EQ(commands->archive_command.find("--s3-credentials-file"), std::string::npos);
}

}  // namespace
}  // namespace hasteward::pitr
