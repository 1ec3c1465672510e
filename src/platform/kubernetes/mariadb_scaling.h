// Stopping and starting one pod of a mariadb-operator cluster through the API. mariadbd is the
// pod's main process and the kubelet restarts it, so a server stays down only while its pod is
// gone: the StatefulSet is scaled down to the pod's ordinal (a StatefulSet removes its highest
// ordinals first), with the MariaDB resource suspended (spec.suspend: true) first, or
// mariadb-operator would scale it back at once. Starting scales the StatefulSet back to the
// MariaDB's spec.replicas and resumes the resource, but only when HASteward suspended it (an
// annotation records that): a resource an admin suspended stays suspended.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/status.h"
#include "platform/kubernetes/kube_client.h"

namespace hasteward::platform::kubernetes {

// Annotation on the MariaDB naming the pod HASteward suspended it for.
inline constexpr char kSuspendedForAnnotation[] = "clinic.hasteward.prplanit.com/suspended-for";

// Annotation on a suspended MariaDB naming the pod a restore holds it for (HandBack::kAtResume,
// platform/operator_restore.h): while it is there, a start brings pods back but never resumes the
// resource, and the held pod's own start brings back no pod above it.
inline constexpr char kHeldForAnnotation[] = "clinic.hasteward.prplanit.com/held-for";

// The StatefulSet ordinal of `pod` ("galera-1" is 1); nullopt without a numeric suffix.
std::optional<int> PodOrdinal(const std::string& pod);

// One pod of MariaDB `ns/mariadb` (its StatefulSet has the MariaDB's name).
class MariaDbPodScaling {
 public:
  MariaDbPodScaling(const KubeClient& client, std::string ns, std::string mariadb, std::string pod)
      : client_(client), ns_(std::move(ns)), mariadb_(std::move(mariadb)), pod_(std::move(pod)) {}

  // Suspends the MariaDB, scales its StatefulSet down to the pod's ordinal and waits within
  // `timeout` until the pod is gone. Pods of higher ordinals stop too (and rejoin on Start).
  // kUsage for ordinal 0: that would stop every node and end the cluster's Primary component.
  // Ok at once when the pod is already scaled away.
  core::Status ScaleDown(std::chrono::milliseconds timeout) const;
  // Scales the StatefulSet back to the MariaDB's spec.replicas (first removing the helper pods of
  // every pod it brings back), resumes the MariaDB when HASteward suspended it, and waits within
  // `timeout` until the pod's container runs again (its readiness, a joiner's state transfer, is
  // the caller's wait). While a restore holds the MariaDB (kHeldForAnnotation) the resource stays
  // suspended and the StatefulSet goes up to this pod only.
  core::Status ScaleUp(std::chrono::milliseconds timeout) const;
  // Marks the suspended MariaDB held for this pod (kHeldForAnnotation); Release removes the mark.
  core::Status Hold() const;
  core::Status Release() const;
  // The pod the MariaDB is held for; "" when it is not held.
  core::Result<std::string> HeldFor() const;
  // ScaleDown without the refusal of ordinal 0, for a caller that stops every pod on purpose (a
  // native restore replaces every instance's data): waits within `timeout` until this pod and
  // every pod of a higher ordinal are gone.
  core::Status ScaleDownWithEveryPod(std::chrono::milliseconds timeout) const;
  // Whether the StatefulSet's spec.replicas leaves the pod out (it is stopped on purpose).
  core::Result<bool> ScaledAway() const;
  // The command that does what ScaleUp does ("hasteward --platform kubernetes instance start
  // -n NS -c NAME -i N").
  std::string StartCommand() const;

 private:
  core::Status ScaleDownTo(int ordinal, std::chrono::milliseconds timeout) const;
  core::Status WaitPodGone(const std::string& pod, std::chrono::milliseconds timeout) const;
  core::Result<int> Ordinal() const;
  core::Status Suspend() const;
  core::Status ResumeIfOurs() const;
  core::Status SetReplicas(int replicas) const;
  std::string what() const { return "pod '" + ns_ + "/" + pod_ + "'"; }

  const KubeClient& client_;
  std::string ns_;
  std::string mariadb_;
  std::string pod_;
};

}  // namespace hasteward::platform::kubernetes
