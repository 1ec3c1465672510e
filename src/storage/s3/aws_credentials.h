#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/status.h"

namespace hasteward::storage::s3 {

struct AwsCredentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // sent as x-amz-security-token when set
};

// Looks up an environment variable; injectable so tests need not touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment.
EnvLookup ProcessEnv();

// The variable naming a credentials file that is the only source of credentials
// (--s3-credentials-file): set, LoadAwsCredentials reads that file and nothing else.
inline constexpr const char* kCredentialsFileVariable = "HASTEWARD_S3_CREDENTIALS_FILE";

// Credentials the way the AWS tools find them: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
// (/ AWS_SESSION_TOKEN) first, else profile AWS_PROFILE (default "default") of the INI file
// AWS_SHARED_CREDENTIALS_FILE (default $HOME/.aws/credentials). None found is a usage error.
// With HASTEWARD_S3_CREDENTIALS_FILE set: LoadAwsCredentialsFile of it, nothing else.
core::Result<AwsCredentials> LoadAwsCredentials(const EnvLookup& env);

// Profile AWS_PROFILE (default "default") of the INI file `path`, ignoring the AWS_* keys of the
// environment: a file named explicitly beats them, as restic's --password-file beats
// RESTIC_PASSWORD. kUsage naming the file when it cannot be read or lacks the profile's keys.
core::Result<AwsCredentials> LoadAwsCredentialsFile(const std::string& path, const EnvLookup& env);

// Parses one profile of an AWS credentials INI text; nullopt when the profile is absent.
std::optional<AwsCredentials> ParseCredentialsFile(const std::string& text,
                                                   const std::string& profile);

// AWS_DEFAULT_REGION, else AWS_REGION, else "us-east-1".
std::string ResolveRegion(const EnvLookup& env);

}  // namespace hasteward::storage::s3
