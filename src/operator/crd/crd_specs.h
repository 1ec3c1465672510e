// operator/crd/crd_specs: what a BackupPolicy or BackupRepository resource
// (platform/operator_resources.h, deploy/crds, README "Operator Mode") means to the operator: the
// same PolicySpec a `policies:` entry of the config file gives, and a repository whose password and
// storage environment come from Secrets:
//
//   BackupPolicy.spec: {backupSchedule, triageSchedule, verifySchedule, mode: triage|repair,
//                       repositories: [names], retention: {keepLast, ... keepYearly}}
//   BackupRepository.spec.restic: {repository, passwordSecretRef: {name, namespace, key=password},
//                                  envSecretRef: {name, namespace}}
//
// An unknown field is refused like an unknown config key: a misspelt schedule must not silently
// mean "no backups".
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "operator/config.h"
#include "platform/operator_resources.h"

namespace hasteward::op {

// A key of a Secret (`key` is empty for a whole Secret, envSecretRef).
struct SecretKeyRef {
  std::string ns;
  std::string name;
  std::string key;
};

// A BackupRepository before its Secrets are read.
struct CrdRepository {
  std::string name;
  std::string location;
  SecretKeyRef password;            // key defaults to "password"
  std::optional<SecretKeyRef> env;  // every key becomes an environment variable
};

// A secret reference object at `where`: {name, namespace} plus, `with_key`, key (default
// "password"). kUsage naming `where` for an unknown field, a wrong type or a missing
// name/namespace.
core::Result<SecretKeyRef> ParseSecretRef(const nlohmann::json& object, bool with_key,
                                          const std::string& where);

// kUsage naming the resource and the field: spec missing, unknown field, wrong type, bad cron
// expression, mode other than triage|repair, invalid retention, no repositories.
core::Result<PolicySpec> PolicyFromResource(const platform::OperatorResource& resource);
// kUsage naming the resource and the field: spec.restic or its repository missing, a secret
// reference without name or namespace, unknown field, wrong type.
core::Result<CrdRepository> RepositoryFromResource(const platform::OperatorResource& resource);

}  // namespace hasteward::op
