// operator/crd/cluster_annotations: how a database cluster opts in to the operator from its own
// resource, as HASteward's README describes for CNPG Cluster and MariaDB CRs:
//
//   clinic.hasteward.prplanit.com/policy: "default"        # opt in, with this policy
//   clinic.hasteward.prplanit.com/backup-schedule: "0 3 * * *"   # optional overrides
//   clinic.hasteward.prplanit.com/triage-schedule, verify-schedule, mode: triage|repair
//   clinic.hasteward.prplanit.com/pitr: "true"|"false"    # continuous archiving (policy's)
//   clinic.hasteward.prplanit.com/backup-method: dump|native   # scheduled backups' method
//   clinic.hasteward.prplanit.com/exclude: "true"          # opted in, but left alone for now
//
// The platform hands the annotations over on platform::Cluster (Kubernetes: metadata.annotations;
// local: the inventory's `annotations:`).
#pragma once

#include <optional>

#include "core/status.h"
#include "operator/config.h"
#include "platform/cluster.h"

namespace hasteward::op {

inline constexpr char kPolicyAnnotation[] = "clinic.hasteward.prplanit.com/policy";
inline constexpr char kBackupScheduleAnnotation[] = "clinic.hasteward.prplanit.com/backup-schedule";
inline constexpr char kTriageScheduleAnnotation[] = "clinic.hasteward.prplanit.com/triage-schedule";
inline constexpr char kVerifyScheduleAnnotation[] = "clinic.hasteward.prplanit.com/verify-schedule";
inline constexpr char kModeAnnotation[] = "clinic.hasteward.prplanit.com/mode";
inline constexpr char kPitrAnnotation[] = "clinic.hasteward.prplanit.com/pitr";
inline constexpr char kBackupMethodAnnotation[] = "clinic.hasteward.prplanit.com/backup-method";
inline constexpr char kExcludeAnnotation[] = "clinic.hasteward.prplanit.com/exclude";

// The cluster as the operator manages it, or nullopt when it does not opt in (no policy
// annotation) or excludes itself. kUsage naming the cluster and the annotation when the policy is
// unknown, an override is invalid, an unknown annotation of ours is present (a misspelt override
// must not be ignored silently), or exclude is neither "true" nor "false".
core::Result<std::optional<ManagedCluster>> ManagedFromAnnotations(
    const ServeConfig& config, const platform::Cluster& cluster);

}  // namespace hasteward::op
