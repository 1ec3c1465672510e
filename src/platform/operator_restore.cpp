#include "platform/operator_restore.h"

#include "platform/kubernetes/kubernetes_platform.h"

namespace hasteward::platform {

core::Result<std::unique_ptr<OperatorRestoreStop>> OpenOperatorRestoreStop(Platform& platform,
                                                                           const Cluster& cluster) {
  // Asked of the kubernetes platform alone, here rather than through a virtual on Platform:
  // every other platform answers "none", and platform.h is included by most of the tree.
  if (auto* kubernetes = dynamic_cast<kubernetes::KubernetesPlatform*>(&platform)) {
    return kubernetes->OpenOperatorRestoreStop(cluster);
  }
  return std::unique_ptr<OperatorRestoreStop>();
}

}  // namespace hasteward::platform
