#include "storage/s3/s3_config.h"

#include "core/redact.h"
namespace hasteward::storage::s3 {
namespace {

core::Status BadLocation(const std::string& location) {
  return core::Usage("invalid S3 location '" + core::RedactUrlCredentials(location) + "'",
                     "use s3:http(s)://host[:port]/bucket[/prefix] or s3:host/bucket[/prefix]");
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

std::string S3Config::Location() const {
  return core::RedactUrlCredentials("s3:" + scheme + "://" + endpoint + "/" + bucket +
                                    (prefix.empty() ? "" : "/" + prefix));
}

core::Result<S3Config> ParseS3Location(const std::string& location, const EnvLookup& env) {
  if (location.rfind("s3:", 0) != 0)
    return BadLocation(location);
  S3Config cfg;
  std::string rest = location.substr(3);
  if (auto sep = rest.find("://"); sep != std::string::npos) {
    cfg.scheme = rest.substr(0, sep);
    rest = rest.substr(sep + 3);
    if (cfg.scheme != "http" && cfg.scheme != "https")
      return BadLocation(location);
  }
  auto slash = rest.find('/');
  if (slash == std::string::npos || slash == 0)
    return BadLocation(location);
  cfg.endpoint = rest.substr(0, slash);
  std::string path = rest.substr(slash + 1);
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  auto bslash = path.find('/');
  cfg.bucket = path.substr(0, bslash);
  if (bslash != std::string::npos)
    cfg.prefix = path.substr(bslash + 1);
  if (cfg.bucket.empty())
    return BadLocation(location);
  HS_ASSIGN_OR_RETURN(cfg.credentials, LoadAwsCredentials(env));
  cfg.region = ResolveRegion(env);
  std::string lookup = env("HASTEWARD_S3_BUCKET_LOOKUP").value_or("auto");
  std::string host = cfg.endpoint.substr(0, cfg.endpoint.find(':'));
  cfg.path_style = lookup == "path" || (lookup != "dns" && !EndsWith(host, "amazonaws.com"));
  cfg.http.ca_file = env("HASTEWARD_S3_CA_FILE").value_or("");
  if (auto n = env("HASTEWARD_S3_CONNECTIONS"); n && !n->empty()) {
    cfg.connections = std::max(1, std::atoi(n->c_str()));
  }
  return cfg;
}

}  // namespace hasteward::storage::s3
