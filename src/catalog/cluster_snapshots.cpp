#include "catalog/cluster_snapshots.h"

namespace hasteward::catalog {

core::Result<std::vector<repo::Snapshot>> ClusterSnapshots(repo::Repository& repo,
                                                           const platform::Cluster& cluster,
                                                           const repo::SnapshotTypeSelector& type) {
  HS_ASSIGN_OR_RETURN(auto all, repo.ListSnapshots());
  std::vector<repo::Snapshot> out;
  for (auto& s : all) {
    if (s.TagValue("cluster") == cluster.name && s.TagValue("namespace") == cluster.ns &&
        s.TagValue("engine") == platform::EngineKindName(cluster.engine) &&
        repo::MatchesType(s, type)) {
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace hasteward::catalog
