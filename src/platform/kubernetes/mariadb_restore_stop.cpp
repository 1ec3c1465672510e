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

MariaDbPodScaling MariaDbRestoreStop::Scaling() const {
  return MariaDbPodScaling(*client_, cluster_.ns, cluster_.name, FirstPod());
}

core::Status MariaDbRestoreStop::StopAll(std::chrono::milliseconds timeout, HandBack hand_back) {
  HS_TRY(Scaling().ScaleDownWithEveryPod(timeout));
  if (hand_back == HandBack::kAtResume || found_held_) {
    // After the scale-down, before the target's start: whatever starts a pod from now on leaves
    // the resource suspended. A held cluster stays held (its target is an earlier restore's
    // unfinished output) whatever this restore asks.
    HS_TRY(Scaling().Hold().Wrap("hold MariaDB '" + cluster_.ns + "/" + cluster_.name + "'"));
    holds_ = true;
  }
  return core::Status::Ok();
}

core::Status MariaDbRestoreStop::Resume(std::chrono::milliseconds timeout) {
  if (holds_ || found_held_) {
    HS_TRY(Scaling().Release().Wrap("lift the hold of MariaDB '" + cluster_.ns + "/" +
                                    cluster_.name + "'"));
    holds_ = false;
    found_held_ = false;
  }
  return Scaling().ScaleUp(timeout);
}

std::string MariaDbRestoreStop::ResumeCommand() const {
  std::string start = Scaling().StartCommand();
  if (!holds_ && !found_held_) {
    return start;
  }
  return "kubectl annotate mariadb -n " + cluster_.ns + " " + cluster_.name + " " +
         kHeldForAnnotation + "- && " + start;
}

}  // namespace hasteward::platform::kubernetes
