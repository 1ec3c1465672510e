// The operators' own switchover (platform/operator_switchover.h) on Kubernetes:
//  - CloudNativePG: the Cluster's status.targetPrimary names the pod to promote (with
//    targetPrimaryTimestamp and the phase "Switchover in progress", as `kubectl cnpg promote`
//    writes them through the status subresource); the operator shuts the old primary down, promotes
//    the target, and reports it in status.currentPrimary;
//  - mariadb-operator: the MariaDB's spec.replication.primary.podIndex names the ordinal to
//    promote; the operator makes the old primary read-only, waits for the target to catch up,
//    promotes it, points the others at it, and reports status.currentPrimaryPodIndex.
// Both requests are merge patches carrying the read resourceVersion, refused when the operator
// has a switchover pending already.
#pragma once

#include <memory>
#include <string>

#include "platform/cluster.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/operator_switchover.h"

namespace hasteward::platform::kubernetes {

// The operator's switchover for cluster `c` (found by this platform: its operator option says
// which); kUsage for a Galera cluster, which has no primary to change.
core::Result<std::unique_ptr<OperatorSwitchover>> OpenOperatorPrimary(
    std::shared_ptr<const KubeClient> client, const Cluster& c);

}  // namespace hasteward::platform::kubernetes
