// platform/cluster_event: a note about a cluster that a platform can show beside the cluster
// itself (Kubernetes: a core/v1 Event on the CloudNativePG Cluster or MariaDB resource, which
// `kubectl describe` lists). The operator records one per finished job.
#pragma once

#include <string>

namespace hasteward::platform {

enum class ClusterEventType {
  kNormal,   // as expected (a backup stored, a healthy triage)
  kWarning,  // needs a look (a failed job, an unhealthy verdict, a failed verification)
};

struct ClusterEvent {
  ClusterEventType type = ClusterEventType::kNormal;
  std::string reason;   // UpperCamelCase, e.g. "BackupSucceeded"
  std::string message;  // one line for a human
};

}  // namespace hasteward::platform
