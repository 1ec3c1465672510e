// operator/standby/standby_crd_specs: what a StandbyCluster resource
// (deploy/crds/standbyclusters.yaml) means to the operator: the same dr::StandbySpec a `standbys:`
// entry of the config file gives (dr/standby_spec.h, parsed by the same code, so both shapes accept
// and refuse the same values), except that the source repository's password and S3 credentials come
// from Secrets, as for a BackupRepository:
//
//   StandbyCluster.spec: {source: {repository, probe, passwordSecretRef: {name, namespace,
//                                   key=password}, s3CredentialsSecretRef: {name, namespace},
//                                   cluster: {engine, namespace, name}},
//                         template, freshness, activation, cursor}   (as in the config file)
//
// The resource's name is the standby's name. `stateFile` is not offered: the standby's state lives
// in the operator's state dir (<state dir>/standby-<name>.json). An unknown field is refused.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "dr/standby_spec.h"
#include "operator/crd/crd_specs.h"
#include "platform/operator_resources.h"

namespace hasteward::op {

// A StandbyCluster before its Secrets are read: `spec.source.secrets` is unset and the file fields
// are empty.
struct CrdStandby {
  dr::StandbySpec spec;
  SecretKeyRef password;                       // key defaults to "password"
  std::optional<SecretKeyRef> s3_credentials;  // every key becomes an S3 variable (AWS_*)
};

// kUsage naming the resource and the field: spec or source missing, an unknown field (passwordFile
// and stateFile included: an operator's pod has no such files), a secret reference without name or
// namespace, and every refusal of dr::ParseStandbyDeclaration (bad engine, duration, time, ...).
core::Result<CrdStandby> StandbyFromResource(const platform::OperatorResource& resource);

// `standby` with its Secrets' values (platform/operator_resources.h ReadSecret) in
// spec.source.secrets. kNotFound / kAuthFailed naming the Secret when one cannot be read, or the
// password key is missing.
core::Result<dr::StandbySpec> WithSecrets(const CrdStandby& standby,
                                          platform::OperatorResources& resources);

}  // namespace hasteward::op
