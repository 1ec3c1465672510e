// The kubernetes platform's ClusterChangeFeed: one watch (kube_watch.h) per database CR kind
// (CloudNativePG Cluster, MariaDB) in the platform's namespace, each on its own thread. Any event
// — a CR added, deleted, or modified (an annotation added or removed is a modification) — and any
// relist after 410 Expired or a lost stream marks a change. Transport errors are retried every
// second; the watch resumes from the last resourceVersion it saw, so nothing is missed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "platform/cluster_change_feed.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/kube_watch.h"

namespace hasteward::platform::kubernetes {

class ClusterChangeWatch : public ClusterChangeFeed {
 public:
  // Starts watching `resources` in namespace `ns`. `client` must be usable from several threads
  // (KubeClient opens a connection per request).
  ClusterChangeWatch(std::shared_ptr<const KubeClient> client, const std::string& ns,
                     const std::vector<KubeResource>& resources);
  ~ClusterChangeWatch() override;
  ClusterChangeWatch(const ClusterChangeWatch&) = delete;
  ClusterChangeWatch& operator=(const ClusterChangeWatch&) = delete;

  bool TakeChange() override { return changed_.exchange(false); }

 private:
  void Follow(ResourceWatch& watch, const std::string& what);

  std::shared_ptr<const KubeClient> client_;
  std::vector<std::unique_ptr<ResourceWatch>> watches_;
  std::vector<std::thread> threads_;
  // Starts true: the first list is a change for a reader that has not listed yet.
  std::atomic<bool> changed_{true};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable stop_cv_;
};

}  // namespace hasteward::platform::kubernetes
