#include "repo/maintenance/gc_mark.h"

#include <mutex>

namespace hasteward::repo {

namespace {

core::Status Missing(BlobType type, const Id& id, const std::string& where) {
  return core::Corruption(std::string(BlobTypeName(type)) + " blob '" + IdToHex(id) + "' used by " +
                          where + " is not in the index")
      .WithHint("nothing was deleted; run 'restic check' and repair the repository before pruning");
}

struct Marker {
  Repository& repo;
  BlobSet used;
  std::mutex mu;

  // Loads one tree; records its data blobs and returns the subtrees not seen before.
  core::Status Visit(const Id& tree, const std::string& where, std::vector<Id>* next) {
    if (!repo.index().Has(tree, BlobType::kTree))
      return Missing(BlobType::kTree, tree, where);
    HS_ASSIGN_OR_RETURN(core::Bytes json, repo.LoadBlob(tree, BlobType::kTree));
    auto nodes = ParseTreeJson(core::AsString(json));
    if (!nodes.ok()) {
      return nodes.TakeStatus().Wrap("tree '" + IdToHex(tree) + "' of " + where);
    }
    for (const auto& n : *nodes) {
      for (const auto& id : n.content) {
        if (!repo.index().Has(id, BlobType::kData)) {
          return Missing(BlobType::kData, id, where + " (file '" + n.name + "')");
        }
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& n : *nodes) {
      used.data.insert(n.content.begin(), n.content.end());
      if (n.subtree && used.tree.insert(*n.subtree).second)
        next->push_back(*n.subtree);
    }
    return core::Status::Ok();
  }
};

}  // namespace

core::Result<BlobSet> MarkUsedBlobs(Repository& repo, const std::vector<Snapshot>& snapshots,
                                    int threads) {
  Marker m{repo, {}, {}};
  // Breadth first: one level of trees at a time, loaded in parallel. `owner` names a snapshot
  // that reaches each tree, for error messages.
  std::vector<Id> level;
  std::vector<std::string> owner;
  for (const auto& s : snapshots) {
    if (m.used.tree.insert(s.tree).second) {
      level.push_back(s.tree);
      owner.push_back("snapshot '" + IdToHex(s.id).substr(0, 8) + "'");
    }
  }
  while (!level.empty()) {
    std::vector<std::vector<Id>> next(level.size());
    HS_TRY(ParallelFor(level.size(), threads,
                       [&](size_t i) { return m.Visit(level[i], owner[i], &next[i]); }));
    std::vector<Id> flat;
    std::vector<std::string> flat_owner;
    for (size_t i = 0; i < next.size(); ++i) {
      for (const auto& id : next[i]) {
        flat.push_back(id);
        flat_owner.push_back(owner[i]);
      }
    }
    level = std::move(flat);
    owner = std::move(flat_owner);
  }
  return std::move(m.used);
}

}  // namespace hasteward::repo
