#include "operator/crd/crd_catalog.h"

#include <functional>

#include "core/log.h"
#include "operator/crd/crd_specs.h"

namespace hasteward::op {

namespace {

using platform::OperatorResourceKind;

// The value of `ref.key`, or every value (an envSecretRef) when the key is empty.
core::Result<std::map<std::string, std::string>> SecretValues(
    platform::OperatorResources& resources, const SecretKeyRef& ref) {
  HS_ASSIGN_OR_RETURN(auto values, resources.ReadSecret(ref.ns, ref.name));
  if (ref.key.empty())
    return values;
  auto found = values.find(ref.key);
  if (found == values.end()) {
    return core::NotFound("Secret '" + ref.ns + "/" + ref.name + "' has no key '" + ref.key + "'",
                          "add the key or set passwordSecretRef.key");
  }
  return std::map<std::string, std::string>{*found};
}

std::string SecretsHash(const RepositorySecrets& secrets) {
  std::string all = secrets.password;
  for (const auto& [name, value] : secrets.env) {
    all += "\n";
    all += name;
    all += "=";
    all += value;
  }
  return std::to_string(std::hash<std::string>{}(all));
}

}  // namespace

std::optional<CrdState> CrdCatalog::Read() {
  auto policies = resources_.List(OperatorResourceKind::kBackupPolicy);
  auto repositories =
      policies.ok() ? resources_.List(OperatorResourceKind::kBackupRepository)
                    : core::Result<std::vector<platform::OperatorResource>>(policies.status());
  if (!repositories.ok()) {
    core::LogWarn("list BackupPolicy/BackupRepository resources failed; keeping the previous ones",
                  {{"error", repositories.status().message()}});
    return std::nullopt;
  }
  CrdState state;
  for (const auto& resource : *policies) {
    CrdResourceInfo info{resource.name, resource.generation, std::nullopt};
    auto policy = PolicyFromResource(resource);
    if (policy.ok()) {
      state.policies.push_back(std::move(policy).value());
    } else {
      info.problem = ResourceProblem{kReasonInvalidSpec, policy.status().ToString()};
    }
    state.policy_resources.push_back(std::move(info));
  }
  for (const auto& resource : *repositories)
    ReadRepository(resource, state);
  LogProblems(state);
  return state;
}

void CrdCatalog::ReadRepository(const platform::OperatorResource& resource, CrdState& state) {
  CrdResourceInfo info{resource.name, resource.generation, std::nullopt};
  auto parsed = RepositoryFromResource(resource);
  if (!parsed.ok()) {
    info.problem = ResourceProblem{kReasonInvalidSpec, parsed.status().ToString()};
    state.repository_resources.push_back(std::move(info));
    return;
  }
  auto secrets = std::make_shared<RepositorySecrets>();
  auto password = SecretValues(resources_, parsed->password);
  core::Status read = password.status();
  if (password.ok()) {
    secrets->password = password->begin()->second;
    if (parsed->env) {
      auto env = SecretValues(resources_, *parsed->env);
      read = env.status();
      if (env.ok())
        secrets->env = std::move(env).value();
    }
  }
  if (!read.ok()) {
    info.problem = ResourceProblem{kReasonSecretUnavailable, read.ToString()};
  } else {
    state.repositories.push_back({parsed->name, parsed->location, "", std::move(secrets)});
  }
  state.repository_resources.push_back(std::move(info));
}

void CrdCatalog::LogProblems(const CrdState& state) {
  std::map<std::string, std::string> now;
  auto collect = [&now](const char* kind, const std::vector<CrdResourceInfo>& infos) {
    for (const auto& info : infos) {
      if (info.problem)
        now[std::string(kind) + "/" + info.name] = info.problem->message;
    }
  };
  collect("BackupPolicy", state.policy_resources);
  collect("BackupRepository", state.repository_resources);
  for (const auto& [key, message] : now) {
    auto logged = logged_.find(key);
    if (logged == logged_.end() || logged->second != message) {
      core::LogWarn("operator resource refused; it is not used",
                    {{"resource", key}, {"error", message}});
    }
  }
  logged_ = std::move(now);
}

std::string RepositoryFingerprint(const RepositorySpec& repository) {
  return repository.name + "|" + repository.location + "|" + repository.password_file + "|" +
         (repository.secrets ? SecretsHash(*repository.secrets) : "");
}

ServeConfig MergeCrds(const ServeConfig& file, const CrdState& crds) {
  ServeConfig merged = file;
  for (const auto& policy : crds.policies) {
    bool in_file = false;
    for (const auto& own : file.policies)
      in_file = in_file || own.name == policy.name;
    if (!in_file)
      merged.policies.push_back(policy);
  }
  for (const auto& repository : crds.repositories) {
    bool in_file = false;
    for (const auto& own : file.repositories)
      in_file = in_file || own.name == repository.name;
    if (!in_file)
      merged.repositories.push_back(repository);
  }
  return merged;
}

std::string ConfigFingerprint(const ServeConfig& config) {
  std::string out;
  for (const auto& p : config.policies) {
    out += "P|" + p.name + "|" + p.backup_schedule + "|" + p.triage_schedule + "|" +
           p.verify_schedule + "|" + p.mode + "|";
    for (const auto& r : p.repositories)
      out += r + ",";
    const auto& k = p.retention;
    out += "|" + std::to_string(k.keep_last) + "," + std::to_string(k.keep_hourly) + "," +
           std::to_string(k.keep_daily) + "," + std::to_string(k.keep_weekly) + "," +
           std::to_string(k.keep_monthly) + "," + std::to_string(k.keep_yearly) + "\n";
  }
  for (const auto& r : config.repositories)
    out += "R|" + RepositoryFingerprint(r) + "\n";
  return out;
}

}  // namespace hasteward::op
