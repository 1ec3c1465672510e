#include "operator/standby/standby_crd_specs.h"

#include <memory>
#include <set>

namespace hasteward::op {

namespace {

using nlohmann::json;

// Stands in for the declaration's passwordFile, which the shared parser requires; cleared before
// the spec leaves this file (the password comes from the Secret).
constexpr char kSecretPlaceholder[] = "(passwordSecretRef)";

core::Status CheckFields(const json& object, const std::set<std::string>& known,
                         const std::string& where) {
  if (!object.is_object())
    return core::Usage(where + " must be an object", "see deploy/crds/standbyclusters.yaml");
  for (const auto& [key, value] : object.items()) {
    if (known.count(key) == 0) {
      std::string message = where;
      message += " has unknown field '" + key + "'";
      return core::Usage(message, "see deploy/crds/standbyclusters.yaml (docs/standby.md)");
    }
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<CrdStandby> StandbyFromResource(const platform::OperatorResource& resource) {
  const std::string where = "StandbyCluster '" + resource.name + "' spec";
  HS_TRY(CheckFields(resource.spec, {"source", "template", "freshness", "activation", "cursor"},
                     where));
  if (!resource.spec.contains("source")) {
    return core::Usage(where + ".source is required",
                       "name the source repository, its password Secret and the source cluster");
  }
  json source = resource.spec["source"];
  HS_TRY(CheckFields(
      source, {"repository", "probe", "passwordSecretRef", "s3CredentialsSecretRef", "cluster"},
      where + ".source"));
  CrdStandby standby;
  if (!source.contains("passwordSecretRef")) {
    return core::Usage(where + ".source.passwordSecretRef is required",
                       "name the Secret holding the source repository's password");
  }
  HS_ASSIGN_OR_RETURN(standby.password, ParseSecretRef(source["passwordSecretRef"], true,
                                                       where + ".source.passwordSecretRef"));
  if (source.contains("s3CredentialsSecretRef") && !source["s3CredentialsSecretRef"].is_null()) {
    HS_ASSIGN_OR_RETURN(standby.s3_credentials,
                        ParseSecretRef(source["s3CredentialsSecretRef"], false,
                                       where + ".source.s3CredentialsSecretRef"));
  }
  source.erase("passwordSecretRef");
  source.erase("s3CredentialsSecretRef");
  source["passwordFile"] = kSecretPlaceholder;
  // JSON is YAML: the declaration parser checks everything else exactly as for the config file.
  json declaration = resource.spec;
  declaration["name"] = resource.name;
  declaration["source"] = source;
  HS_ASSIGN_OR_RETURN(
      standby.spec,
      dr::ParseStandbyDeclaration(declaration.dump(), "StandbyCluster '" + resource.name + "'"));
  standby.spec.source.password_file.clear();
  return standby;
}

core::Result<dr::StandbySpec> WithSecrets(const CrdStandby& standby,
                                          platform::OperatorResources& resources) {
  auto secrets = std::make_shared<dr::SourceSecrets>();
  const SecretKeyRef& ref = standby.password;
  HS_ASSIGN_OR_RETURN(auto values, resources.ReadSecret(ref.ns, ref.name));
  auto found = values.find(ref.key);
  if (found == values.end()) {
    return core::NotFound("Secret '" + ref.ns + "/" + ref.name + "' has no key '" + ref.key + "'",
                          "add the key or set source.passwordSecretRef.key");
  }
  secrets->password = found->second;
  // A password written with `echo` into a Secret ends in a newline, as a password file may.
  while (!secrets->password.empty() &&
         (secrets->password.back() == '\n' || secrets->password.back() == '\r')) {
    secrets->password.pop_back();
  }
  if (standby.s3_credentials) {
    HS_ASSIGN_OR_RETURN(secrets->env, resources.ReadSecret(standby.s3_credentials->ns,
                                                           standby.s3_credentials->name));
  }
  dr::StandbySpec spec = standby.spec;
  spec.source.secrets = std::move(secrets);
  return spec;
}

}  // namespace hasteward::op
