// How this process reaches the database ports of the pods, chosen once when the platform opens:
// through the API server (a local port-forward per pod port: a workstation reaches nothing else)
// or over the pod network (the pods' IPs: the in-cluster operator, one hop less). Either way the
// pod's own address stays the instances' peer address (platform/peer_address.h), which is what
// replication and commands run inside pods need.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "platform/cluster.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/kube_config.h"

namespace hasteward::platform::kubernetes {

enum class KubeConnectMode { kApiServer, kPodNetwork };

inline constexpr char kKubeConnectEnv[] = "HASTEWARD_KUBE_CONNECT";

// "api-server" / "pod-network"; kUsage otherwise.
core::Result<KubeConnectMode> ParseKubeConnectMode(const std::string& text);
const char* KubeConnectModeName(KubeConnectMode mode);
// $HASTEWARD_KUBE_CONNECT when set; else the pod network for an in-cluster configuration (the
// operator runs in a pod that reaches the pod network) and the API server for a kubeconfig (a
// workstation, which may reach nothing but the API server).
core::Result<KubeConnectMode> ResolveKubeConnectMode(const EnvLookup& env,
                                                     const KubeConfig& config);

class InstanceRoute {
 public:
  virtual ~InstanceRoute() = default;
  // Sets, for every instance of `cluster`, where this process connects (host/port) and where
  // its peers do (the pod's address: platform/peer_address.h). Idempotent: an instance routed
  // before (by this route or another platform's) is routed again from its peer address.
  virtual core::Status Apply(Cluster* cluster) = 0;
};

std::shared_ptr<InstanceRoute> MakeInstanceRoute(KubeConnectMode mode,
                                                 std::shared_ptr<const KubeClient> client);

}  // namespace hasteward::platform::kubernetes
