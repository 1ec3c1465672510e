#include "cli/snapshot_filter.h"

#include "platform/platform.h"

namespace hasteward::cli {

SnapshotFilter SnapshotFilter::FromGlobals(const GlobalOptions& g) {
  SnapshotFilter f;
  if (!g.engine.empty()) {
    auto kind = platform::ParseEngineKind(g.engine);
    f.engine = kind.ok() ? platform::EngineKindName(*kind) : g.engine;
  }
  f.cluster = g.cluster;
  f.ns = g.ns_explicit ? g.ns : "";
  return f;
}

bool SnapshotFilter::Matches(const repo::Snapshot& s) const {
  if (!engine.empty() && s.TagValue("engine") != engine)
    return false;
  if (!cluster.empty() && s.TagValue("cluster") != cluster)
    return false;
  if (!ns.empty() && s.TagValue("namespace") != ns)
    return false;
  if (!repo::MatchesType(s, type))
    return false;
  if (instance >= 0) {
    std::string prefix = "/" + std::to_string(instance) + "-";
    bool found = false;
    for (const auto& p : s.paths) {
      if (p.find(prefix) != std::string::npos)
        found = true;
    }
    if (!found)
      return false;
  }
  return true;
}

std::vector<repo::Snapshot> SnapshotFilter::Apply(const std::vector<repo::Snapshot>& snaps) const {
  std::vector<repo::Snapshot> out;
  for (const auto& s : snaps) {
    if (Matches(s))
      out.push_back(s);
  }
  return out;
}

core::Result<repo::SnapshotTypeSelector> SnapshotTypeFor(const std::string& snapshot_ref,
                                                         const std::string& type_flag,
                                                         int instance) {
  if (!type_flag.empty())
    return repo::ParseTypeSelector(type_flag);
  if (instance >= 0)
    return repo::SnapshotTypeSelector{repo::SnapshotType::kDiverged};
  if (snapshot_ref == "latest" || snapshot_ref.empty())
    return repo::SnapshotTypeSelector{repo::SnapshotType::kBackup};
  return repo::SnapshotTypeSelector{};
}

}  // namespace hasteward::cli
