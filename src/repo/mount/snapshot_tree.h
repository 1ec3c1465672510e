// repo/mount/snapshot_tree: a snapshot's directory tree looked up by path, as a mounted file tree
// needs it (stat, list, readlink), with the parsed trees cached. No FUSE dependency.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "repo/repository.h"

namespace hasteward::repo {

class SnapshotTree {
 public:
  // The tree at `path` of the snapshot ("" = its root). kNotFound when the path is missing,
  // kUsage when it is not a directory. The index must be loaded.
  static core::Result<std::unique_ptr<SnapshotTree>> Open(Repository& repo, const Snapshot& snap,
                                                          const std::string& path);

  // The node at `path` below the mounted directory ("/" or "" = the mounted directory itself).
  // kNotFound when a component is missing or a non-directory is descended into (the FUSE layer
  // tells the two apart by the node types); kCorruption or a storage error when a tree fails.
  // Thread-safe.
  core::Result<Node> Lookup(const std::string& path);
  // The entries of a directory node, sorted by name. kUsage when `dir` is not a directory.
  core::Result<std::vector<Node>> List(const Node& dir);

  const Node& root() const { return root_; }

 private:
  using Nodes = std::shared_ptr<const std::vector<Node>>;
  SnapshotTree(Repository& repo, Node root) : repo_(repo), root_(std::move(root)) {}
  core::Result<Nodes> LoadTree(const Id& id);

  Repository& repo_;
  Node root_;
  std::mutex mu_;
  std::unordered_map<Id, Nodes, IdHash> trees_;  // parsed trees, cleared when over kMaxTrees
};

}  // namespace hasteward::repo
