#pragma once

#include <string>

#include "core/status.h"
#include "storage/http/http_client.h"
#include "storage/s3/aws_credentials.h"

namespace hasteward::storage::s3 {

// Everything an S3Backend needs. Built from a location string plus the environment.
struct S3Config {
  std::string scheme = "https";  // "http" or "https"
  std::string endpoint;          // "host[:port]"
  std::string bucket;
  std::string prefix;  // no leading or trailing '/'; may be empty
  std::string region = "us-east-1";
  bool path_style = true;  // false: virtual-hosted style ("bucket.host")
  AwsCredentials credentials;
  http::HttpOptions http;
  int connections = 5;  // parallel requests the backend serves well

  // "s3:http://127.0.0.1:7480/bucket/prefix" (how this config prints itself).
  std::string Location() const;
};

// Parses "s3:http(s)://host[:port]/bucket[/prefix]" or "s3:host/bucket[/prefix]" (https) and reads
// the environment: credentials (LoadAwsCredentials, HASTEWARD_S3_CREDENTIALS_FILE), region
// (ResolveRegion), HASTEWARD_S3_BUCKET_LOOKUP = path | dns | auto (auto: dns for *.amazonaws.com,
// else path), HASTEWARD_S3_CA_FILE (PEM bundle to trust), HASTEWARD_S3_CONNECTIONS. A malformed
// location or missing credentials is a usage error.
core::Result<S3Config> ParseS3Location(const std::string& location, const EnvLookup& env);

}  // namespace hasteward::storage::s3
