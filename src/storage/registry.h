#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/status.h"
#include "storage/backend.h"
#include "storage/retry/retry_backend.h"

namespace hasteward::storage {

struct OpenOptions {
  bool retry = true;  // wrap in RetryBackend
  RetryOptions retry_options;
  int connections = 0;  // concurrency limit; 0 = the driver's Connections()
  // Looked up before the process environment by drivers that read it (s3: AWS_* credentials and
  // region), so one process can open repositories with different credentials (the operator's
  // BackupRepository envSecretRef) without putting them into its own environment.
  std::map<std::string, std::string> environment;
  // s3: the AWS credentials INI file that is the only source of keys ("" = the environment's,
  // then ~/.aws/credentials); set by --s3-credentials-file, beats `environment`.
  std::string s3_credentials_file;
};

// The options of the one-argument OpenBackend: defaults, with HASTEWARD_STORAGE_RETRY_SECONDS.
OpenOptions DefaultOpenOptions();

// Opens a backend from a location: a plain path or "local:<path>" (local filesystem),
// "s3:<endpoint>/<bucket>[/prefix]", "rest:<url>". Unknown schemes are a usage error.
// The driver is wrapped as Retry(Limit(Counting(driver))): retries with backoff on retryable
// errors, a bound on requests in flight, and request counts in Counts().
// The one-argument form uses default options, except that HASTEWARD_STORAGE_RETRY_SECONDS (if
// set) bounds the time one call may spend retrying (default 120 s).
core::Result<std::unique_ptr<Backend>> OpenBackend(const std::string& location);
core::Result<std::unique_ptr<Backend>> OpenBackend(const std::string& location,
                                                   const OpenOptions& options);

}  // namespace hasteward::storage
