#include "operator/crd/cluster_discovery.h"

#include <algorithm>
#include <set>

#include "core/log.h"
#include "operator/crd/cluster_annotations.h"
#include "operator/crd/crd_catalog.h"

namespace hasteward::op {

namespace {

constexpr std::chrono::seconds kRetryAfterFailedList{10};

std::string KeyOf(const platform::Cluster& cluster) {
  return cluster.ns + "/" + cluster.name;
}

// What a managed cluster is scheduled by: a change in any of it is a new set.
std::string Fingerprint(const ManagedCluster& c) {
  std::string repositories;
  // Locations and secrets too: a BackupRepository may change them under the same name.
  for (const auto& r : c.repositories)
    repositories += RepositoryFingerprint(r) + ",";
  return c.Key() + "|" + c.policy + "|" + c.backup_schedule + "|" + c.triage_schedule + "|" +
         c.verify_schedule + "|" + c.mode + "|" + repositories + (c.pitr ? "|pitr" : "") + "|" +
         BackupMethodName(c.backup_method);
}

}  // namespace

bool ManagedSet::SameClustersAs(const ManagedSet& other) const {
  if (clusters.size() != other.clusters.size() || engines != other.engines)
    return false;
  for (size_t n = 0; n < clusters.size(); ++n) {
    if (Fingerprint(clusters[n]) != Fingerprint(other.clusters[n]))
      return false;
  }
  return true;
}

ManagedSet MergeManaged(const ServeConfig& config, const std::vector<ManagedCluster>& configured,
                        const std::vector<platform::Cluster>& listed) {
  ManagedSet set;
  std::map<std::string, const platform::Cluster*> by_key;
  for (const auto& cluster : listed)
    by_key[KeyOf(cluster)] = &cluster;
  // Every cluster the config names, excluded ones too: those stay out even when annotated.
  std::set<std::string> named;
  for (const auto& spec : config.clusters)
    named.insert(spec.ns + "/" + spec.name);
  for (const auto& c : configured) {
    set.clusters.push_back(c);
    auto found = by_key.find(c.Key());
    if (found != by_key.end())
      set.engines[c.Key()] = platform::EngineKindName(found->second->engine);
  }
  if (!config.discovery.annotations)
    return set;
  for (const auto& cluster : listed) {
    if (named.count(KeyOf(cluster)))
      continue;
    auto managed = ManagedFromAnnotations(config, cluster);
    if (!managed.ok()) {
      set.problems[KeyOf(cluster)] = managed.status().ToString();
      continue;
    }
    if (!managed->has_value())
      continue;
    set.engines[KeyOf(cluster)] = platform::EngineKindName(cluster.engine);
    set.clusters.push_back(std::move(**managed));
  }
  return set;
}

ClusterDiscovery::ClusterDiscovery(ServeConfig config, std::vector<ManagedCluster> configured,
                                   PlatformOpener open_platform)
    : config_(std::move(config)),
      configured_(std::move(configured)),
      open_platform_(std::move(open_platform)) {}

ClusterDiscovery::~ClusterDiscovery() {
  feed_.reset();  // stops its threads before the platform they read through goes
}

ManagedSet ClusterDiscovery::Start(SteadyTime now) {
  if (config_.discovery.annotations) {
    auto platform = open_platform_();
    auto feed = platform.ok()
                    ? (*platform)->WatchClusters()
                    : core::Result<std::unique_ptr<platform::ClusterChangeFeed>>(platform.status());
    if (feed.ok()) {
      watched_platform_ = std::move(platform).value();
      feed_ = std::move(feed).value();
    } else {
      core::LogWarn("cannot watch the platform's clusters; relying on resyncs",
                    {{"error", feed.status().message()}});
    }
    if (feed_)
      feed_->TakeChange();  // the listing below covers what happened so far
  }
  next_resync_ = now + config_.discovery.resync;
  auto listed = ListAndMerge();
  if (listed) {
    current_ = std::move(*listed);
  } else {
    // Nothing listed: the configured clusters, without engines; try again soon.
    current_ = MergeManaged(config_, configured_, {});
    next_resync_ =
        now + std::min<std::chrono::milliseconds>(config_.discovery.resync, kRetryAfterFailedList);
  }
  LogProblems(current_);
  return current_;
}

void ClusterDiscovery::SetConfig(ServeConfig config, std::vector<ManagedCluster> configured) {
  config_ = std::move(config);
  configured_ = std::move(configured);
  config_changed_ = true;
}

std::optional<ManagedSet> ClusterDiscovery::Poll(SteadyTime now) {
  bool due = now >= next_resync_ || config_changed_;
  config_changed_ = false;
  // Without annotations only engines can change (a configured cluster that appears later).
  if (feed_ && feed_->TakeChange())
    due = true;
  if (!due)
    return std::nullopt;
  next_resync_ = now + config_.discovery.resync;
  auto listed = ListAndMerge();
  if (!listed)
    return std::nullopt;
  LogProblems(*listed);
  if (listed->SameClustersAs(current_))
    return std::nullopt;
  std::set<std::string> before;
  for (const auto& c : current_.clusters)
    before.insert(c.Key());
  std::set<std::string> after;
  for (const auto& c : listed->clusters) {
    after.insert(c.Key());
    if (!before.count(c.Key()))
      core::LogInfo("cluster now managed", {{"cluster", c.Key()}, {"policy", c.policy}});
  }
  for (const auto& key : before) {
    if (!after.count(key))
      core::LogInfo("cluster no longer managed", {{"cluster", key}});
  }
  current_ = std::move(*listed);
  return current_;
}

std::optional<ManagedSet> ClusterDiscovery::ListAndMerge() {
  auto platform = open_platform_();
  auto listed = platform.ok() ? (*platform)->ListClusters()
                              : core::Result<std::vector<platform::Cluster>>(platform.status());
  if (!listed.ok()) {
    core::LogWarn("list the platform's clusters failed; keeping the managed set",
                  {{"error", listed.status().message()}});
    return std::nullopt;
  }
  ManagedSet set = MergeManaged(config_, configured_, *listed);
  // A configured cluster outside the listing (kubernetes lists one namespace; the config may
  // name clusters in others) is looked up by name.
  for (const auto& c : set.clusters) {
    if (set.engines.count(c.Key()))
      continue;
    auto found = (*platform)->FindCluster(c.ns, c.name);
    if (found.ok()) {
      set.engines[c.Key()] = platform::EngineKindName(found->engine);
    } else if (!warned_missing_.count(c.Key())) {
      core::LogWarn("managed cluster not found on the platform", {{"cluster", c.Key()}});
      warned_missing_.insert(c.Key());
    }
  }
  return set;
}

void ClusterDiscovery::LogProblems(const ManagedSet& set) {
  for (const auto& [key, problem] : set.problems) {
    auto logged = logged_problems_.find(key);
    if (logged != logged_problems_.end() && logged->second == problem)
      continue;
    core::LogWarn("cluster annotations refused; the cluster is not managed",
                  {{"cluster", key}, {"error", problem}});
    logged_problems_[key] = problem;
  }
  for (auto it = logged_problems_.begin(); it != logged_problems_.end();) {
    it = set.problems.count(it->first) ? std::next(it) : logged_problems_.erase(it);
  }
}

}  // namespace hasteward::op
