// operator/crd/cluster_discovery: the set of clusters `serve` manages. The clusters its config
// lists are always managed; with `discovery: {annotations: true}` so is every platform cluster that
// opts in through its annotations (cluster_annotations.h). The platform's clusters are listed again
// when its change feed reports a change (kubernetes: a watch on the database CRs) and at the
// resync interval in any case.
//
// Decisions, and why:
// - A config entry wins over annotations for the same cluster: the file is the operator owner's
//   explicit word, an annotation any namespace owner's.
// - A failed listing keeps the previous set: an API server that is away for a minute must not
//   make every annotated cluster lose its schedule (and come back as "new" afterwards).
// - A cluster whose annotations are invalid is not managed, and the problem is logged once per
//   distinct message (not at every resync).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "operator/config.h"
#include "platform/platform.h"

namespace hasteward::op {

struct ManagedSet {
  std::vector<ManagedCluster> clusters;
  std::map<std::string, std::string> engines;  // cluster key -> engine name
  // Clusters left out, with why: cluster key -> message.
  std::map<std::string, std::string> problems;

  bool SameClustersAs(const ManagedSet& other) const;
};

// The managed set from the config's resolved clusters and (when annotations are on) the
// platform's clusters. `listed` are the platform's clusters; config clusters missing from it keep
// no engine (as before: the operator logs them and their jobs fail with a clear error).
ManagedSet MergeManaged(const ServeConfig& config, const std::vector<ManagedCluster>& configured,
                        const std::vector<platform::Cluster>& listed);

class ClusterDiscovery {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  using PlatformOpener = std::function<core::Result<std::unique_ptr<platform::Platform>>()>;

  // `configured`: ResolveClusters(config). The platform is opened
  // anew for every listing (the local platform reads its inventory file when opened, so an edit
  // shows at the next resync); the one opened by Start also runs the change feed.
  ClusterDiscovery(ServeConfig config, std::vector<ManagedCluster> configured,
                   PlatformOpener open_platform);
  ~ClusterDiscovery();
  ClusterDiscovery(const ClusterDiscovery&) = delete;
  ClusterDiscovery& operator=(const ClusterDiscovery&) = delete;

  // The first set: lists the platform once (and starts its change feed when annotations are on).
  ManagedSet Start(SteadyTime now);
  // A new set when the platform was listed again (change reported or resync due) and the result
  // differs from the previous one; nullopt otherwise.
  std::optional<ManagedSet> Poll(SteadyTime now);
  // Replaces the config (its policies or repositories changed: `serve` merged its BackupPolicy and
  // BackupRepository resources, crd_catalog.h); the next Poll lists the platform again.
  void SetConfig(ServeConfig config, std::vector<ManagedCluster> configured);

 private:
  std::optional<ManagedSet> ListAndMerge();
  void LogProblems(const ManagedSet& set);

  ServeConfig config_;
  bool config_changed_ = false;
  std::vector<ManagedCluster> configured_;
  PlatformOpener open_platform_;
  std::unique_ptr<platform::Platform> watched_platform_;  // owns what feed_ watches through
  std::unique_ptr<platform::ClusterChangeFeed> feed_;
  ManagedSet current_;
  SteadyTime next_resync_{};
  std::map<std::string, std::string> logged_problems_;
  std::set<std::string> warned_missing_;
};

}  // namespace hasteward::op
