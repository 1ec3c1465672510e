#include "platform/kubernetes/mariadb_restore_stop.h"

#include "platform/kubernetes/mariadb_scaling.h"

namespace hasteward::platform::kubernetes {

core::Result<Instance> MariaDbRestoreStop::Target() {
  const Instance* first = cluster_.FindInstance(0);
  if (first == nullptr) {
    return core::NotFound("MariaDB '" + cluster_.ns + "/" + cluster_.name + "' declares no pods",
                          "check its spec.replicas");
  }
  HS_ASSIGN_OR_RETURN(auto cr, client_->Get(resources::kMariaDbs, cluster_.ns, cluster_.name));
  const std::string primary = cr.value("/status/currentPrimary"_json_pointer, std::string());
  // Why ordinal 0: it is the pod the StatefulSet starts first and the one a scale-up to one pod
  // brings back, and the restored instance must be the one the operator runs as primary.
  if (!primary.empty() && primary != FirstPod()) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "mariadb-operator runs '" + primary + "' as the primary of '" +
                            cluster_.ns + "/" + cluster_.name + "'; a native restore restores '" +
                            FirstPod() + "' and rebuilds the others from it",
                        "switch the primary to '" + FirstPod() + "' first ('hasteward " +
                            "--platform kubernetes switchover --to " + FirstPod() +
                            "'), then restore again; nothing was stopped");
  }
  return *first;
}

core::Status MariaDbRestoreStop::StopAll(std::chrono::milliseconds timeout) {
  return MariaDbPodScaling(*client_, cluster_.ns, cluster_.name, FirstPod())
      .ScaleDownWithEveryPod(timeout);
}

core::Status MariaDbRestoreStop::Resume(std::chrono::milliseconds timeout) {
  return MariaDbPodScaling(*client_, cluster_.ns, cluster_.name, FirstPod()).ScaleUp(timeout);
}

std::string MariaDbRestoreStop::ResumeCommand() const {
  return MariaDbPodScaling(*client_, cluster_.ns, cluster_.name, FirstPod()).StartCommand();
}

}  // namespace hasteward::platform::kubernetes
