#include "repo/maintenance/gc_mark.h"

#include <mutex>

namespace hasteward::repo {

namespace {

core::Status Missing(BlobType type, const Id& id, const std::string& where) {
  return core::Corruption(std::string(BlobTypeName(type)) + " blob '" + IdToHex(id) + "' used by " +
                          where + " is not in the index")
      .WithHint("nothing was deleted; run 'restic check' and repair the repository before pruning");
}

// Loads one tree; marks its data blobs and returns the subtrees not marked before.
core::Status Visit(Repository& repo, UsedMarks* marks, const Id& tree, const std::string& where,
                   std::vector<Id>* next) {
  HS_ASSIGN_OR_RETURN(core::Bytes json, repo.LoadBlob(tree, BlobType::kTree));
  auto nodes = ParseTreeJson(core::AsString(json));
  if (!nodes.ok()) {
    return nodes.TakeStatus().Wrap("tree '" + IdToHex(tree) + "' of " + where);
  }
  for (const auto& n : *nodes) {
    for (const auto& id : n.content) {
      HS_ASSIGN_OR_RETURN(UsedMarks::Mark mark, marks->Use(id, BlobType::kData));
      if (mark == UsedMarks::Mark::kMissing) {
        return Missing(BlobType::kData, id, where + " (file '" + n.name + "')");
      }
    }
    if (!n.subtree) {
      continue;
    }
    HS_ASSIGN_OR_RETURN(UsedMarks::Mark mark, marks->Use(*n.subtree, BlobType::kTree));
    if (mark == UsedMarks::Mark::kMissing) {
      return Missing(BlobType::kTree, *n.subtree, where + " (directory '" + n.name + "')");
    }
    if (mark == UsedMarks::Mark::kNew) {
      next->push_back(*n.subtree);
    }
  }
  return core::Status::Ok();
}

// The in-memory marks: the index's Has, then a set insert under one lock.
class SetMarks : public UsedMarks {
 public:
  explicit SetMarks(const MasterIndex& index) : index_(index) {}
  core::Result<Mark> Use(const Id& blob_id, BlobType type) override {
    if (!index_.Has(blob_id, type)) {
      return Mark::kMissing;
    }
    std::lock_guard<std::mutex> lock(mu_);
    return used_.Of(type).insert(blob_id).second ? Mark::kNew : Mark::kSeen;
  }
  BlobSet Take() { return std::move(used_); }

 private:
  const MasterIndex& index_;
  std::mutex mu_;
  BlobSet used_;
};

}  // namespace

core::Status MarkUsed(Repository& repo, const std::vector<Snapshot>& snapshots, int threads,
                      UsedMarks* marks) {
  // Breadth first: one level of trees at a time, loaded in parallel. `owner` names a snapshot
  // that reaches each tree, for error messages.
  std::vector<Id> level;
  std::vector<std::string> owner;
  for (const auto& s : snapshots) {
    const std::string name = "snapshot '" + IdToHex(s.id).substr(0, 8) + "'";
    HS_ASSIGN_OR_RETURN(UsedMarks::Mark mark, marks->Use(s.tree, BlobType::kTree));
    if (mark == UsedMarks::Mark::kMissing) {
      return Missing(BlobType::kTree, s.tree, name);
    }
    if (mark == UsedMarks::Mark::kNew) {
      level.push_back(s.tree);
      owner.push_back(name);
    }
  }
  while (!level.empty()) {
    std::vector<std::vector<Id>> next(level.size());
    HS_TRY(ParallelFor(level.size(), threads,
                       [&](size_t i) { return Visit(repo, marks, level[i], owner[i], &next[i]); }));
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
  return core::Status::Ok();
}

core::Result<BlobSet> MarkUsedBlobs(Repository& repo, const std::vector<Snapshot>& snapshots,
                                    int threads) {
  SetMarks marks(repo.index());
  HS_TRY(MarkUsed(repo, snapshots, threads, &marks));
  return marks.Take();
}

}  // namespace hasteward::repo
