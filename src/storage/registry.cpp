#include "storage/registry.h"

#include <algorithm>
#include <cstdlib>

#include "core/redact.h"
#include "storage/count/counting_backend.h"
#include "storage/limit/limit_backend.h"
#include "storage/local/local_backend.h"
#include "storage/rest/rest_backend.h"
#include "storage/s3/s3_backend.h"
#include "storage/s3/s3_config.h"

namespace hasteward::storage {
namespace {

core::Result<std::unique_ptr<Backend>> OpenDriver(const std::string& location,
                                                  const OpenOptions& options) {
  if (location.rfind("s3:", 0) == 0) {
    std::map<std::string, std::string> env = options.environment;
    if (!options.s3_credentials_file.empty()) {
      env[s3::kCredentialsFileVariable] = options.s3_credentials_file;
    }
    s3::EnvLookup lookup = [env, process = s3::ProcessEnv()](const std::string& name) {
      auto given = env.find(name);
      return given != env.end() ? std::optional<std::string>(given->second) : process(name);
    };
    HS_ASSIGN_OR_RETURN(auto cfg, s3::ParseS3Location(location, lookup));
    return std::unique_ptr<Backend>(std::make_unique<s3::S3Backend>(std::move(cfg)));
  }
  if (location.rfind("rest:", 0) == 0) {
    HS_ASSIGN_OR_RETURN(auto cfg, rest::ParseRestLocation(location));
    return std::unique_ptr<Backend>(std::make_unique<rest::RestBackend>(std::move(cfg)));
  }
  std::string path = location;
  if (path.rfind("local:", 0) == 0) {
    path = path.substr(6);
  } else if (auto colon = path.find(':');
             colon != std::string::npos && path[0] != '/' && path.find('/') > colon) {
    return core::Usage(
        "unsupported repository location '" + core::RedactUrlCredentials(location) + "'",
        "use a path, local:/path, s3:http(s)://host/bucket/prefix or rest:http://host/");
  }
  while (path.size() > 1 && path.back() == '/') {
    path.pop_back();
  }
  return std::unique_ptr<Backend>(std::make_unique<LocalBackend>(path));
}

}  // namespace

OpenOptions DefaultOpenOptions() {
  OpenOptions options;
  if (const char* secs = std::getenv("HASTEWARD_STORAGE_RETRY_SECONDS");
      secs != nullptr && *secs != 0) {
    options.retry_options.max_total = std::chrono::seconds(std::max(0L, std::atol(secs)));
  }
  return options;
}

core::Result<std::unique_ptr<Backend>> OpenBackend(const std::string& location) {
  return OpenBackend(location, DefaultOpenOptions());
}

core::Result<std::unique_ptr<Backend>> OpenBackend(const std::string& location,
                                                   const OpenOptions& options) {
  if (location.empty()) {
    return core::Usage("no repository given",
                       "pass --backups-path or set HASTEWARD_BACKUPS_PATH or RESTIC_REPOSITORY");
  }
  HS_ASSIGN_OR_RETURN(auto driver, OpenDriver(location, options));
  int limit = options.connections > 0 ? options.connections : driver->Connections();
  std::unique_ptr<Backend> b = std::make_unique<CountingBackend>(std::move(driver));
  b = std::make_unique<LimitBackend>(std::move(b), limit);
  if (options.retry)
    b = std::make_unique<RetryBackend>(std::move(b), options.retry_options);
  return b;
}

}  // namespace hasteward::storage
