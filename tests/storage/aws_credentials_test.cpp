// S3 credentials from a file named explicitly (--s3-credentials-file): the way a database server's
// wal-push / wal-fetch get them, since the server never inherits credential variables.
#include "storage/s3/aws_credentials.h"

#include <map>

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "support/command.h"

namespace hasteward::storage::s3 {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace aws_credentials_test {
namespace {

EnvLookup MapEnv(const std::map<std::string, std::string>& values) {
  return [values](const std::string& key) -> std::optional<std::string> {
    auto found = values.find(key);
    return found == values.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
}

class AwsCredentialsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("hs-aws-credentials-");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<core::TempDir>(std::move(*dir));
    file_ = testing::WriteFile(dir_->path() + "/credentials",
                               "[default]\naws_access_key_id = FILEKEY\n"
                               "aws_secret_access_key = FILESECRET\n\n"
                               "[archive]\naws_access_key_id = ARCHIVEKEY\n"
                               "aws_secret_access_key = ARCHIVESECRET\n");
  }

  std::unique_ptr<core::TempDir> dir_;
  std::string file_;
};

TEST_F(AwsCredentialsFileTest, TheNamedFileBeatsTheEnvironmentsKeys) {
  auto creds = LoadAwsCredentials(MapEnv({{kCredentialsFileVariable, file_},
                                          {"AWS_ACCESS_KEY_ID", "ENVKEY"},
                                          {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"}}));
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key, "FILEKEY");
  EXPECT_EQ(creds->secret_key, "FILESECRET");
}

TEST_F(AwsCredentialsFileTest, AwsProfileSelectsTheFilesProfile) {
  auto creds = LoadAwsCredentialsFile(file_, MapEnv({{"AWS_PROFILE", "archive"}}));
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key, "ARCHIVEKEY");
}

TEST_F(AwsCredentialsFileTest, AnUnreadableFileOrMissingProfileIsAUsageErrorNamingIt) {
  auto missing = LoadAwsCredentials(MapEnv({{kCredentialsFileVariable, file_ + ".absent"},
                                            {"AWS_ACCESS_KEY_ID", "ENVKEY"},
                                            {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"}}));
  ASSERT_FALSE(missing.ok()) << "the environment's keys are no fallback for a named file";
  EXPECT_EQ(missing.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(missing.status().message().find(file_ + ".absent"), std::string::npos);
  auto profile = LoadAwsCredentialsFile(file_, MapEnv({{"AWS_PROFILE", "other"}}));
  ASSERT_FALSE(profile.ok());
  EXPECT_NE(profile.status().message().find("'other'"), std::string::npos);
  EXPECT_EQ(profile.status().message().find("FILESECRET"), std::string::npos);
}

}  // namespace
}  // namespace aws_credentials_test
}  // namespace hasteward::storage::s3
