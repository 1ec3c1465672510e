// platform: where database instances live and how to reach them. A Platform resolves a cluster
// (namespace + name) to its instances (cluster.h) and opens an InstanceHandle on one of them
// (instance_handle.h): its endpoint, commands run "on" it (locally for plain hosts and the
// sandbox; pod exec on Kubernetes), files in its data directory, start/stop/fence, and the
// capabilities the platform declares for it. Engines reach instances only through this
// interface, so they never know whether a cluster is a local sandbox, a plain host or a pod.
// Platforms are opened by name through registry.h. Depends only on core.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/subprocess.h"
#include "platform/cluster.h"
#include "platform/cluster_change_feed.h"
#include "platform/cluster_event.h"
#include "platform/instance_handle.h"
#include "platform/leader_election.h"

namespace hasteward::platform {

// Declared, not included: operator_resources.h brings nlohmann/json.hpp, which every includer of
// this header would otherwise parse (and clang-tidy walk) for nothing.
class OperatorResources;
class OperatorSwitchover;

// Where clusters are. Implementations: LocalPlatform (inventory file; plain hosts and sandbox),
// later KubernetesPlatform; each registers in registry.cpp. Thread-safe for concurrent reads.
class Platform {
 public:
  virtual ~Platform() = default;

  // The registry name ("local").
  virtual std::string name() const = 0;
  virtual core::Result<std::vector<Cluster>> ListClusters() = 0;
  // kNotFound (with a hint listing known clusters) when the cluster is unknown.
  virtual core::Result<Cluster> FindCluster(const std::string& ns, const std::string& name) = 0;
  // A handle on one instance of `c` (`i` is one of c.instances).
  virtual core::Result<std::unique_ptr<InstanceHandle>> OpenInstance(const Cluster& c,
                                                                     const Instance& i) = 0;

  // Shorthands over OpenInstance for callers that hold a cluster and an instance description.
  // Starts/stops one instance and waits until it is up (accepting connections) / down.
  core::Status StartInstance(const Cluster& c, const Instance& i);
  // Galera: starts one stopped node so that it forms a new Primary component on its own
  // (`mariadbd --wsrep-new-cluster`, added to the instance's start command or to the platform
  // default when the inventory gives none), and waits until it accepts connections. The caller
  // must have made sure that no other node runs and that this node holds the newest data.
  core::Status BootstrapInstance(const Cluster& c, const Instance& i);
  core::Status StopInstance(const Cluster& c, const Instance& i) {
    return StopInstanceWithin(c, i, kDefaultStopTimeout);
  }
  // Stops within `timeout` (the stop command and the wait for the process to exit together);
  // kTimeout when the server is still running then. Repair's --delete-timeout arrives here.
  core::Status StopInstanceWithin(const Cluster& c, const Instance& i,
                                  std::chrono::milliseconds timeout);
  static constexpr std::chrono::seconds kDefaultStopTimeout = InstanceHandle::kDefaultStopTimeout;
  // Whether the instance's server process is running (not whether it is healthy).
  core::Result<bool> IsRunning(const Cluster& c, const Instance& i);

  // A feed of changes to ListClusters' answer (cluster_change_feed.h), already running; nullptr
  // when the platform cannot tell (local: the inventory is a file read on each list), and then
  // readers poll.
  virtual core::Result<std::unique_ptr<ClusterChangeFeed>> WatchClusters();

  // Shows `event` beside the cluster where the platform has such a place (kubernetes: an Event on
  // the cluster's resource). The default does nothing: on plain hosts the operator's log line is
  // the record.
  virtual core::Status RecordEvent(const Cluster& cluster, const ClusterEvent& event);

  // Leader election among operator replicas (leader_election.h), not yet started; nullptr when the
  // platform runs one operator per host and needs none (local). kUsage on invalid settings.
  virtual core::Result<std::unique_ptr<LeaderElection>> OpenLeaderElection(
      const LeaderElectionSettings& settings);

  // The operator's BackupPolicy/BackupRepository resources (operator_resources.h), already being
  // watched; nullptr when the platform stores none (local: they come from the config file).
  virtual core::Result<std::unique_ptr<OperatorResources>> OpenOperatorResources();

  // The switchover of cluster `c` as its operator performs it (operator_switchover.h), where an
  // operator owns the instances' lifecycle; nullptr where HASteward itself fences and promotes
  // (local). The switchover job makes this choice once, here.
  virtual core::Result<std::unique_ptr<OperatorSwitchover>> OpenOperatorSwitchover(
      const Cluster& c);

  // Runs a command where the instance lives, as the instance's OS user. The options' argv,
  // env and stdio are honoured; uid/gid are filled in by the platform.
  core::Result<std::unique_ptr<core::Subprocess>> Exec(const Cluster& c, const Instance& i,
                                                       core::SubprocessOptions options);
};

}  // namespace hasteward::platform
