#include "core/redact.h"

#include <gtest/gtest.h>

namespace hasteward::core {
namespace {

TEST(RedactUrlCredentials, HidesThePasswordOfEveryLocationKind) {
  EXPECT_EQ(RedactUrlCredentials("s3:https://KEY:SECRET@host/bucket"),
            "s3:https://KEY:***@host/bucket");
  EXPECT_EQ(RedactUrlCredentials("rest:https://user:pass@host/"), "rest:https://user:***@host/");
  EXPECT_EQ(RedactUrlCredentials("rest:http://user:pass@127.0.0.1:8000"),
            "rest:http://user:***@127.0.0.1:8000");
  EXPECT_EQ(RedactUrlCredentials("https://u:p@h?x=1"), "https://u:***@h?x=1");
}

TEST(RedactUrlCredentials, LeavesTextWithoutCredentialsAlone) {
  for (const char* text : {"/srv/repo", "local:/srv/repo", "s3:https://host:7480/bucket/prefix",
                           "rest:http://user@host/", "no url here", "", "://", "a://@"}) {
    EXPECT_EQ(RedactUrlCredentials(text), text);
  }
}

TEST(RedactUrlCredentials, PasswordWithAtOrColonDoesNotLeakItsTail) {
  EXPECT_EQ(RedactUrlCredentials("rest:https://user:p@ss:w0rd@host/r"),
            "rest:https://user:***@host/r");
}

TEST(RedactUrlCredentials, RedactsEveryUrlInsideAMessage) {
  EXPECT_EQ(RedactUrlCredentials("GET 'http://a:one@h1/config': refused; retry "
                                 "\"https://b:two@h2/x\" later"),
            "GET 'http://a:***@h1/config': refused; retry \"https://b:***@h2/x\" later");
  EXPECT_EQ(RedactUrlCredentials("{\"repository\":\"rest:http://u:pw@h:1/\"}"),
            "{\"repository\":\"rest:http://u:***@h:1/\"}");
}

TEST(RedactSqlSecrets, HidesQuotedSecretsAfterTheirKeywordsInAnyCase) {
  EXPECT_EQ(
      RedactSqlSecrets("ERROR 1396 at line 9: CREATE USER 'app'@'%' IDENTIFIED BY 's3cr''et'"),
      "ERROR 1396 at line 9: CREATE USER 'app'@'%' IDENTIFIED BY '***'");
  EXPECT_EQ(RedactSqlSecrets("LINE 1: ALTER ROLE app WITH password 'pw\\'x' LOGIN;"),
            "LINE 1: ALTER ROLE app WITH password '***' LOGIN;");
  EXPECT_EQ(RedactSqlSecrets("identified by password '*94BDCEBE19083CE2A1F959FD02F964C7AF4CFC29'"),
            "identified by password '***'");
  EXPECT_EQ(RedactSqlSecrets("SET PASSWORD FOR 'a'@'%' = PASSWORD(\"x\")"),
            "SET PASSWORD FOR 'a'@'%' = PASSWORD(\"***\")");
  EXPECT_EQ(RedactSqlSecrets("IDENTIFIED VIA ed25519 USING PASSWORD('y') OR unix_socket"),
            "IDENTIFIED VIA ed25519 USING PASSWORD('***') OR unix_socket");
}

TEST(RedactSqlSecrets, ACutOffSecretHidesTheRestOfItsLineOnly) {
  EXPECT_EQ(RedactSqlSecrets("near 'IDENTIFIED BY 'abc\nnext line"),
            "near 'IDENTIFIED BY '***\nnext line");
}

TEST(RedactSqlSecrets, OtherTextIsUnchanged) {
  for (const std::string text :
       {"ERROR 1062 (23000): Duplicate entry '5' for key 'PRIMARY'", "passwords 'x'",
        "the password file '/etc/x' is missing", "", "USING", "IDENTIFIED BY"}) {
    EXPECT_EQ(RedactSqlSecrets(text), text);
  }
}

}  // namespace
}  // namespace hasteward::core
