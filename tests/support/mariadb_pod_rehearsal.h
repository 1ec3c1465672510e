// The lifecycle the Galera heal takes a mariadb-operator pod through on the kubernetes platform
// (Fence, Exec while the pod is scaled away, Start), rehearsed against FakeKubeApi objects alone,
// with the test playing the StatefulSet controller and the kubelet: for tests that need every API
// call of that lifecycle made (RBAC coverage) without a sandbox behind the pods.
#pragma once

#include "core/status.h"
#include "platform/instance_handle.h"
#include "support/fake_kube_api.h"

namespace hasteward::testing {

// `handle` is a pod of ordinal > 0 of a MariaDB whose StatefulSet exists (MariaDbStatefulSet).
// Fence times out (no controller removes the pod), the pod is then deleted as the controller
// would, a command runs in the helper pod (marked Running here), and Start times out (no
// controller re-creates the pod). Returns what went otherwise.
core::Status RehearseMariaDbPodHeal(FakeKubeApi& api, platform::InstanceHandle& handle);

}  // namespace hasteward::testing
