#include "operator/crd/crd_specs.h"

#include <set>

#include "core/cron.h"

namespace hasteward::op {

namespace {

using nlohmann::json;

constexpr char kDefaultPasswordKey[] = "password";

core::Status CheckFields(const json& object, const std::set<std::string>& known,
                         const std::string& where) {
  if (!object.is_object())
    return core::Usage(where + " must be an object", "see deploy/crds for the schema");
  for (const auto& [key, value] : object.items()) {
    if (!known.count(key)) {
      std::string message = where;
      message += " has unknown field '" + key + "'";
      return core::Usage(message, "see deploy/crds for the schema (docs/operator.md)");
    }
  }
  return core::Status::Ok();
}

// The string at `key` ("" when absent); kUsage when it is there but not a string.
core::Result<std::string> StringField(const json& object, const char* key,
                                      const std::string& where) {
  if (!object.contains(key) || object[key].is_null())
    return std::string();
  if (!object[key].is_string())
    return core::Usage(where + "." + key + " must be a string");
  return object[key].get<std::string>();
}

core::Status CheckSchedule(const std::string& expr, const std::string& where) {
  if (expr.empty())
    return core::Status::Ok();
  auto parsed = core::CronSchedule::Parse(expr);
  return parsed.ok() ? core::Status::Ok() : parsed.TakeStatus().Wrap(where);
}

core::Status ParseRetention(const json& object, repo::RetentionPolicy& retention,
                            const std::string& where) {
  if (object.is_null())
    return core::Status::Ok();
  HS_TRY(CheckFields(
      object, {"keepLast", "keepHourly", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly"},
      where));
  for (const auto& [key, value] : object.items()) {
    if (!value.is_number_integer() || value.get<int64_t>() < 0) {
      std::string message = where;
      message += "." + key + " must be a non-negative integer";
      return core::Usage(message);
    }
  }
  retention.keep_last = object.value("keepLast", 0);
  retention.keep_hourly = object.value("keepHourly", 0);
  retention.keep_daily = object.value("keepDaily", 0);
  retention.keep_weekly = object.value("keepWeekly", 0);
  retention.keep_monthly = object.value("keepMonthly", 0);
  retention.keep_yearly = object.value("keepYearly", 0);
  return retention.Validate();
}

core::Result<std::vector<std::string>> RepositoryNames(const json& spec, const std::string& where) {
  const json names = spec.value("repositories", json());
  if (!names.is_array() || names.empty()) {
    return core::Usage(where + ".repositories must name at least one BackupRepository",
                       "list the BackupRepository resources backups go to");
  }
  std::vector<std::string> out;
  for (const auto& name : names) {
    if (!name.is_string() || name.get<std::string>().empty())
      return core::Usage(where + ".repositories must hold non-empty names");
    out.push_back(name.get<std::string>());
  }
  return out;
}

}  // namespace

core::Result<SecretKeyRef> ParseSecretRef(const json& object, bool with_key,
                                          const std::string& where) {
  HS_TRY(CheckFields(object,
                     with_key ? std::set<std::string>{"name", "namespace", "key"}
                              : std::set<std::string>{"name", "namespace"},
                     where));
  SecretKeyRef ref;
  HS_ASSIGN_OR_RETURN(ref.name, StringField(object, "name", where));
  HS_ASSIGN_OR_RETURN(ref.ns, StringField(object, "namespace", where));
  if (ref.name.empty() || ref.ns.empty()) {
    return core::Usage(where + " needs 'name' and 'namespace'",
                       "name the Secret and its namespace");
  }
  if (with_key) {
    HS_ASSIGN_OR_RETURN(ref.key, StringField(object, "key", where));
    if (ref.key.empty())
      ref.key = kDefaultPasswordKey;
  }
  return ref;
}

core::Result<PolicySpec> PolicyFromResource(const platform::OperatorResource& resource) {
  const std::string where = "BackupPolicy '" + resource.name + "' spec";
  const json& spec = resource.spec;
  HS_TRY(CheckFields(spec,
                     {"backupSchedule", "triageSchedule", "verifySchedule", "mode", "repositories",
                      "retention", "backupMethod"},
                     where));
  PolicySpec policy;
  policy.name = resource.name;
  HS_ASSIGN_OR_RETURN(policy.backup_schedule, StringField(spec, "backupSchedule", where));
  HS_ASSIGN_OR_RETURN(policy.triage_schedule, StringField(spec, "triageSchedule", where));
  HS_ASSIGN_OR_RETURN(policy.verify_schedule, StringField(spec, "verifySchedule", where));
  HS_TRY(CheckSchedule(policy.backup_schedule, where + ".backupSchedule"));
  HS_TRY(CheckSchedule(policy.triage_schedule, where + ".triageSchedule"));
  HS_TRY(CheckSchedule(policy.verify_schedule, where + ".verifySchedule"));
  HS_ASSIGN_OR_RETURN(std::string mode, StringField(spec, "mode", where));
  policy.mode = mode.empty() ? "triage" : mode;  // the CRD's default
  if (policy.mode != "triage" && policy.mode != "repair")
    return core::Usage(where + ".mode '" + policy.mode + "' is not triage or repair");
  HS_ASSIGN_OR_RETURN(policy.repositories, RepositoryNames(spec, where));
  HS_TRY(ParseRetention(spec.value("retention", json()), policy.retention, where + ".retention"));
  HS_ASSIGN_OR_RETURN(std::string method, StringField(spec, "backupMethod", where));
  HS_ASSIGN_OR_RETURN(policy.backup_method, ParseBackupMethod(method, where + ".backupMethod"));
  return policy;
}

core::Result<CrdRepository> RepositoryFromResource(const platform::OperatorResource& resource) {
  const std::string where = "BackupRepository '" + resource.name + "' spec";
  HS_TRY(CheckFields(resource.spec, {"restic"}, where));
  const json restic = resource.spec.value("restic", json());
  HS_TRY(
      CheckFields(restic, {"repository", "passwordSecretRef", "envSecretRef"}, where + ".restic"));
  CrdRepository repository;
  repository.name = resource.name;
  HS_ASSIGN_OR_RETURN(repository.location, StringField(restic, "repository", where + ".restic"));
  if (repository.location.empty())
    return core::Usage(where + ".restic.repository is required", "give a path or URL");
  if (!restic.contains("passwordSecretRef")) {
    return core::Usage(where + ".restic.passwordSecretRef is required",
                       "name the Secret holding the repository password");
  }
  HS_ASSIGN_OR_RETURN(repository.password, ParseSecretRef(restic["passwordSecretRef"], true,
                                                          where + ".restic.passwordSecretRef"));
  if (restic.contains("envSecretRef") && !restic["envSecretRef"].is_null()) {
    HS_ASSIGN_OR_RETURN(repository.env, ParseSecretRef(restic["envSecretRef"], false,
                                                       where + ".restic.envSecretRef"));
  }
  return repository;
}

}  // namespace hasteward::op
