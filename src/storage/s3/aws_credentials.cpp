#include "storage/s3/aws_credentials.h"

#include <cstdlib>
#include <sstream>

#include "core/fd.h"

namespace hasteward::storage::s3 {
namespace {

std::string Trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos)
    return "";
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string Get(const EnvLookup& env, const std::string& name) {
  auto v = env(name);
  return v ? *v : "";
}

std::string Profile(const EnvLookup& env) {
  std::string profile = Get(env, "AWS_PROFILE");
  return profile.empty() ? "default" : profile;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr)
      return std::nullopt;
    return std::string(v);
  };
}

std::optional<AwsCredentials> ParseCredentialsFile(const std::string& text,
                                                   const std::string& profile) {
  std::istringstream in(text);
  std::string line;
  bool inside = false;
  bool found = false;
  AwsCredentials creds;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';')
      continue;
    if (line.front() == '[' && line.back() == ']') {
      std::string name = Trim(line.substr(1, line.size() - 2));
      if (name.rfind("profile ", 0) == 0)
        name = Trim(name.substr(8));
      inside = name == profile;
      found = found || inside;
      continue;
    }
    auto eq = line.find('=');
    if (!inside || eq == std::string::npos)
      continue;
    std::string key = Trim(line.substr(0, eq));
    std::string value = Trim(line.substr(eq + 1));
    if (key == "aws_access_key_id")
      creds.access_key = value;
    if (key == "aws_secret_access_key")
      creds.secret_key = value;
    if (key == "aws_session_token")
      creds.session_token = value;
  }
  if (!found)
    return std::nullopt;
  return creds;
}

core::Result<AwsCredentials> LoadAwsCredentialsFile(const std::string& path, const EnvLookup& env) {
  std::string profile = Profile(env);
  auto text = core::ReadFileToString(path);
  if (!text.ok()) {
    return core::Usage("cannot read the S3 credentials file '" + path + "'",
                       "check --s3-credentials-file / HASTEWARD_S3_CREDENTIALS_FILE: the file "
                       "must be readable by the user running hasteward");
  }
  auto parsed = ParseCredentialsFile(*text, profile);
  if (!parsed || parsed->access_key.empty() || parsed->secret_key.empty()) {
    return core::Usage("the S3 credentials file '" + path + "' has no profile '" + profile +
                           "' with aws_access_key_id and aws_secret_access_key",
                       "write them under [" + profile + "] (AWS_PROFILE selects the profile)");
  }
  return *parsed;
}

core::Result<AwsCredentials> LoadAwsCredentials(const EnvLookup& env) {
  if (std::string file = Get(env, kCredentialsFileVariable); !file.empty()) {
    return LoadAwsCredentialsFile(file, env);
  }
  AwsCredentials creds{Get(env, "AWS_ACCESS_KEY_ID"), Get(env, "AWS_SECRET_ACCESS_KEY"),
                       Get(env, "AWS_SESSION_TOKEN")};
  if (!creds.access_key.empty() && !creds.secret_key.empty())
    return creds;
  std::string profile = Profile(env);
  std::string file = Get(env, "AWS_SHARED_CREDENTIALS_FILE");
  if (file.empty() && !Get(env, "HOME").empty())
    file = Get(env, "HOME") + "/.aws/credentials";
  if (!file.empty()) {
    auto text = core::ReadFileToString(file);
    if (text.ok()) {
      auto parsed = ParseCredentialsFile(*text, profile);
      if (parsed && !parsed->access_key.empty() && !parsed->secret_key.empty())
        return *parsed;
    }
  }
  return core::Usage("no S3 credentials found",
                     "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --s3-credentials-file, "
                     "or write a profile '" +
                         profile + "' in ~/.aws/credentials (AWS_PROFILE selects it)");
}

std::string ResolveRegion(const EnvLookup& env) {
  for (const char* name : {"AWS_DEFAULT_REGION", "AWS_REGION"}) {
    std::string v = Get(env, name);
    if (!v.empty())
      return v;
  }
  return "us-east-1";
}

}  // namespace hasteward::storage::s3
