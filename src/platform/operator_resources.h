// platform/operator_resources: the operator's own resources where a platform stores them
// (kubernetes: the cluster-scoped BackupPolicy, BackupRepository and StandbyCluster custom
// resources of clinic.hasteward.prplanit.com/v1alpha1, README "Operator Mode"), the Secrets they
// reference, and the status written back onto them. The platform hands over each resource's spec as
// stored (JSON in the README's shape) and never interprets it: what a spec means is the operator's
// business (operator/crd/crd_specs.h). A platform without such resources (local: policies live in
// the config file) has none. Notes left on a resource (kubernetes: a core/v1 Event that `kubectl
// describe` lists) go through RecordEvent, which platforms without such notes leave as a no-op.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "platform/cluster_event.h"

namespace hasteward::platform {

enum class OperatorResourceKind { kBackupPolicy, kBackupRepository, kStandbyCluster };
// "BackupPolicy", "BackupRepository", "StandbyCluster" (the resources' kinds).
const char* OperatorResourceKindName(OperatorResourceKind kind);

struct OperatorResource {  // NOLINT(bugprone-exception-escape): only allocation can throw
  OperatorResourceKind kind = OperatorResourceKind::kBackupPolicy;
  std::string name;
  int64_t generation = 0;  // bumped by the platform on every spec change only
  nlohmann::json spec;     // as stored; an object, or null when the resource has none
};

// The operator resources of one platform. Implementations are safe to use from several threads.
class OperatorResources {
 public:
  virtual ~OperatorResources() = default;
  OperatorResources() = default;
  OperatorResources(const OperatorResources&) = delete;
  OperatorResources& operator=(const OperatorResources&) = delete;

  // Every resource of `kind`, sorted by name. Errors are the platform's (unreachable, not
  // authorized): the caller keeps what it listed before.
  virtual core::Result<std::vector<OperatorResource>> List(OperatorResourceKind kind) = 0;
  // True when a resource of any kind may have changed since the previous call (the first call
  // is true). A feed that lost its source and came back reports a change too. Never blocks.
  virtual bool TakeChange() = 0;
  // The decoded values of Secret `ns/name`. kNotFound when it does not exist, kAuthFailed when the
  // operator may not read it. The values are secrets: never log or persist them.
  virtual core::Result<std::map<std::string, std::string>> ReadSecret(const std::string& ns,
                                                                      const std::string& name) = 0;
  // Merges `status` into the resource's status (only the status: the spec and the generation are
  // left as they are). kNotFound when the resource is gone.
  virtual core::Status WriteStatus(OperatorResourceKind kind, const std::string& name,
                                   const nlohmann::json& status) = 0;
  // Leaves `event` on resource `name` where the platform has such notes (kubernetes: an Event in
  // "default", the namespace of cluster-scoped objects' Events). The default does nothing and is
  // ok: the resource's status condition alone tells. Errors are the platform's (not authorized,
  // unreachable): the caller may try again later.
  virtual core::Status RecordEvent(OperatorResourceKind kind, const std::string& name,
                                   const ClusterEvent& event);
};

}  // namespace hasteward::platform
