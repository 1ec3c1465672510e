// The lifecycle the Galera heal takes a mariadb-operator pod through on the kubernetes platform
// (Fence, Exec while the pod is scaled away, Start), rehearsed against objects on a real
// kube-apiserver alone, with the test playing the StatefulSet controller and the scheduler: for
// tests that need every API call of that lifecycle made (RBAC coverage) without a sandbox behind
// the pods.
#pragma once

#include "core/status.h"
#include "platform/instance_handle.h"
#include "support/real_kube_node.h"

namespace hasteward::testing {

// `handle` is a pod of ordinal > 0 of a MariaDB whose StatefulSet exists (MariaDbStatefulSet),
// on `node`. Fence times out (no controller removes the pod), the pod is then deleted as the
// controller would, a command runs in the helper pod (scheduled onto `node` and Running), and
// Start times out (no controller re-creates the pod). Returns what went otherwise.
core::Status RehearseMariaDbPodHeal(RealKubeNode& node, platform::InstanceHandle& handle);

}  // namespace hasteward::testing
