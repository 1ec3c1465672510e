// platform/cluster_change_feed: tells a long-running reader (the operator) that the platform's
// clusters, or what is noted on them (annotations), may have changed, so it lists them again at
// once instead of at its next periodic resync. A platform without change notification returns
// none from Platform::WatchClusters, and the reader relies on the resync alone.
#pragma once

namespace hasteward::platform {

class ClusterChangeFeed {
 public:
  virtual ~ClusterChangeFeed() = default;
  ClusterChangeFeed() = default;
  ClusterChangeFeed(const ClusterChangeFeed&) = delete;
  ClusterChangeFeed& operator=(const ClusterChangeFeed&) = delete;

  // True when something may have changed since the previous call (and then false until the next
  // change). A feed that lost its source and reconnected reports a change too: it may have missed
  // one while away. Never blocks; safe to call from one thread while the feed works on others.
  virtual bool TakeChange() = 0;
};

}  // namespace hasteward::platform
