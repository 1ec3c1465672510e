// storage::OpenBackend's environment option: per-repository credentials (a BackupRepository's
// envSecretRef in the operator) reach the S3 driver before the process environment, without being
// put into it; and the S3 credentials file option (--s3-credentials-file), which beats both.
#include "storage/registry.h"

#include <gtest/gtest.h>

namespace hasteward::storage {
namespace {

constexpr char kLocation[] = "s3:http://127.0.0.1:9/bucket/prefix";

TEST(RegistryTest, TheEnvironmentOptionIsLookedUpBeforeTheProcessEnvironment) {
  OpenOptions options;
  // Blank values here hide whatever the process environment holds: no credentials at all.
  options.environment = {{"AWS_ACCESS_KEY_ID", ""},
                         {"AWS_SECRET_ACCESS_KEY", ""},
                         {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"}};
  auto none = OpenBackend(kLocation, options);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), core::ErrorCode::kUsage) << none.status().ToString();

  options.environment["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLE";
  options.environment["AWS_SECRET_ACCESS_KEY"] = "secret";
  auto opened = OpenBackend(kLocation, options);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
}

TEST(RegistryTest, TheS3CredentialsFileIsTheOnlySourceOfKeysWhenSet) {
  OpenOptions options;
  options.environment = {{"AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"}, {"AWS_SECRET_ACCESS_KEY", "secret"}};
  options.s3_credentials_file = "/nonexistent/aws-credentials";
  auto opened = OpenBackend(kLocation, options);
  ASSERT_FALSE(opened.ok()) << "the environment's keys are no fallback for a named file";
  EXPECT_EQ(opened.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(opened.status().message().find("/nonexistent/aws-credentials"), std::string::npos);
}

}  // namespace
}  // namespace hasteward::storage
