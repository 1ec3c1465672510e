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
#include "platform/operator_restore.h"

namespace hasteward::platform::kubernetes {

class MariaDbRestoreStop : public OperatorRestoreStop {
 public:
  // `cluster` is a mariadb-operator replication cluster as discovery describes it.
  MariaDbRestoreStop(std::shared_ptr<const KubeClient> client, Cluster cluster)
      : client_(std::move(client)), cluster_(std::move(cluster)) {}

  // Ordinal 0, when mariadb-operator calls it the primary (status.currentPrimary); kSafetyStop
  // naming the operator's primary otherwise (after the restore the operator would make the
  // restored instance a replica of a pod whose data was replaced).
  core::Result<Instance> Target() override;
  core::Status StopAll(std::chrono::milliseconds timeout) override;
  core::Status Resume(std::chrono::milliseconds timeout) override;
  std::string ResumeCommand() const override;

 private:
  std::string FirstPod() const { return cluster_.name + "-0"; }

  std::shared_ptr<const KubeClient> client_;
  Cluster cluster_;
};

}  // namespace hasteward::platform::kubernetes
