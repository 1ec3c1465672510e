#include "platform/cluster.h"

#include <cstdlib>

#include "core/fd.h"

namespace hasteward::platform {

core::Result<EngineKind> ParseEngineKind(const std::string& name) {
  if (name == "cnpg" || name == "postgres" || name == "postgresql") {
    return EngineKind::kPostgres;
  }
  if (name == "mariadb" || name == "mysql") {
    return EngineKind::kMariadb;
  }
  if (name == "galera") {
    return EngineKind::kGalera;
  }
  return core::Usage("unknown engine '" + name + "'",
                     "use one of: cnpg (or postgres), mariadb, galera");
}

const char* EngineKindName(EngineKind kind) {
  switch (kind) {
    case EngineKind::kPostgres: return "cnpg";
    case EngineKind::kMariadb: return "mariadb";
    case EngineKind::kGalera: return "galera";
  }
  return "unknown";
}

namespace {

std::string StripTrailingNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
    s.pop_back();
  }
  return s;
}

}  // namespace

// Error texts name the file or variable only: the secret itself never reaches a message.
core::Result<std::string> SecretRef::Resolve() const {
  if (!file.empty() && !env.empty()) {
    return core::Usage(
        "secret refers to both file '" + file + "' and environment variable '" + env + "'",
        "give exactly one of passwordFile or passwordEnv in the inventory");
  }
  if (fetch) {
    return fetch();
  }
  if (!file.empty()) {
    auto content = core::ReadFileToString(file);
    if (!content.ok()) {
      return core::Status(core::ErrorCode::kUsage,
                          "cannot read secret file '" + file + "': " + content.status().message(),
                          "check that the file exists and is readable by this user");
    }
    return StripTrailingNewlines(std::move(content).value());
  }
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (v == nullptr) {
      return core::Usage("environment variable '" + env + "' holding a secret is not set",
                         "export " + env + " before running hasteward");
    }
    return StripTrailingNewlines(v);
  }
  return std::string();
}

const Instance* Cluster::FindInstance(int ordinal) const {
  for (const auto& i : instances) {
    if (i.ordinal == ordinal) {
      return &i;
    }
  }
  return nullptr;
}

}  // namespace hasteward::platform
