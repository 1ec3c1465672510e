#include "repo/mount/snapshot_tree.h"

#include <algorithm>

#include "repo/restore/tar_dumper.h"

namespace hasteward::repo {

namespace {

// Parsed trees kept at once. A tree is a few hundred bytes per entry; 4096 directories of a
// data directory fit easily, and a bigger tree walk only re-reads trees (small blobs) again.
constexpr size_t kMaxTrees = 4096;

}  // namespace

core::Result<std::unique_ptr<SnapshotTree>> SnapshotTree::Open(Repository& repo,
                                                               const Snapshot& snap,
                                                               const std::string& path) {
  Node root;
  if (SplitSnapshotPath(path).empty()) {
    // The snapshot's root has no node of its own: a directory with the snapshot's time.
    root.type = "dir";
    root.mode = kGoModeDir | 0755;
    root.mtime = root.atime = root.ctime = snap.time;
    root.uid = snap.uid;
    root.gid = snap.gid;
    root.subtree = snap.tree;
  } else {
    HS_ASSIGN_OR_RETURN(root, FindNode(repo, snap, path));
  }
  if (root.type != "dir" || !root.subtree) {
    return core::Usage(
        "'" + path + "' of snapshot '" + IdToHex(snap.id).substr(0, 8) + "' is not a directory",
        "give --path a directory of the snapshot, or leave it out");
  }
  return std::unique_ptr<SnapshotTree>(new SnapshotTree(repo, std::move(root)));
}

core::Result<SnapshotTree::Nodes> SnapshotTree::LoadTree(const Id& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = trees_.find(id); it != trees_.end())
      return it->second;
  }
  HS_ASSIGN_OR_RETURN(core::Bytes json, repo_.LoadBlob(id, BlobType::kTree));
  HS_ASSIGN_OR_RETURN(std::vector<Node> nodes, ParseTreeJson(core::AsString(json)));
  // restic and HASteward write trees sorted by name; sorted again so that Lookup's binary search
  // holds for any writer.
  std::sort(nodes.begin(), nodes.end(),
            [](const Node& a, const Node& b) { return a.name < b.name; });
  auto parsed = std::make_shared<const std::vector<Node>>(std::move(nodes));
  std::lock_guard<std::mutex> lock(mu_);
  if (trees_.size() >= kMaxTrees)
    trees_.clear();
  trees_.emplace(id, parsed);
  return parsed;
}

core::Result<Node> SnapshotTree::Lookup(const std::string& path) {
  Node node = root_;
  for (const std::string& name : SplitSnapshotPath(path)) {
    if (node.type != "dir" || !node.subtree)
      return core::NotFound("'" + path + "' is not in the mounted snapshot");
    HS_ASSIGN_OR_RETURN(Nodes nodes, LoadTree(*node.subtree));
    // Trees are sorted by name (restic writes them so): binary search.
    auto it = std::lower_bound(nodes->begin(), nodes->end(), name,
                               [](const Node& n, const std::string& key) { return n.name < key; });
    if (it == nodes->end() || it->name != name)
      return core::NotFound("'" + path + "' is not in the mounted snapshot");
    node = *it;
  }
  return node;
}

core::Result<std::vector<Node>> SnapshotTree::List(const Node& dir) {
  if (dir.type != "dir" || !dir.subtree)
    return core::Usage("'" + dir.name + "' is not a directory");
  HS_ASSIGN_OR_RETURN(Nodes nodes, LoadTree(*dir.subtree));
  return *nodes;
}

}  // namespace hasteward::repo
