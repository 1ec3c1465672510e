// The stop a native restore of a mariadb-operator replication cluster needs (operator_restore.h):
// the MariaDB suspended (marked as HASteward's, mariadb_scaling.h) and its StatefulSet scaled to
// zero, so that the primary (ordinal 0, the last pod a StatefulSet removes) is down and stays
// down; the restore reaches each instance's volume claim through a helper pod (PodInstance::Exec,
// heal_helper_pod.h), and `instance start -i 0` (MariaDbPodScaling::ScaleUp) hands the pods back.
#pragma once

#include <memory>
#include <string>

#include "platform/cluster.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/mariadb_scaling.h"
#include "platform/operator_restore.h"

namespace hasteward::platform::kubernetes {

class MariaDbRestoreStop : public OperatorRestoreStop {
 public:
  // `cluster` is a mariadb-operator replication cluster as discovery describes it.
  // `found_held`: the MariaDB was held by a restore when the stop was opened.
  MariaDbRestoreStop(std::shared_ptr<const KubeClient> client, Cluster cluster, bool found_held)
      : client_(std::move(client)), cluster_(std::move(cluster)), found_held_(found_held) {}

  // Ordinal 0, when mariadb-operator calls it the primary (status.currentPrimary); kSafetyStop
  // naming the operator's primary otherwise (after the restore the operator would make the
  // restored instance a replica of a pod whose data was replaced).
  core::Result<Instance> Target() override;
  // kAtResume marks the MariaDB held for ordinal 0 (kHeldForAnnotation) once every pod is gone.
  core::Status StopAll(std::chrono::milliseconds timeout, HandBack hand_back) override;
  bool FoundHeld() const override { return found_held_; }
  // Lifts the hold first, then scales back and resumes as `instance start -i 0` does.
  core::Status Resume(std::chrono::milliseconds timeout) override;
  // `instance start -i 0`, after `kubectl annotate` lifting a hold when the cluster is held.
  std::string ResumeCommand() const override;

 private:
  std::string FirstPod() const { return cluster_.name + "-0"; }
  MariaDbPodScaling Scaling() const;

  std::shared_ptr<const KubeClient> client_;
  Cluster cluster_;
  bool found_held_ = false;
  bool holds_ = false;  // this stop (or an earlier restore) left the hold on
};

}  // namespace hasteward::platform::kubernetes
