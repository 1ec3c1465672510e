#include "catalog/snapshot_directory.h"

#include <sstream>

namespace hasteward::catalog {

namespace {

core::Result<std::vector<repo::Node>> LoadTree(repo::Repository& repo, const repo::Id& id) {
  HS_ASSIGN_OR_RETURN(core::Bytes blob, repo.LoadBlob(id, repo::BlobType::kTree));
  return repo::ParseTreeJson(std::string(blob.begin(), blob.end()));
}

}  // namespace

core::Result<std::vector<repo::Node>> LoadDirectory(repo::Repository& repo,
                                                    const repo::Snapshot& snapshot,
                                                    const std::string& path) {
  HS_ASSIGN_OR_RETURN(auto nodes, LoadTree(repo, snapshot.tree));
  std::istringstream components(path);
  std::string component;
  while (std::getline(components, component, '/')) {
    if (component.empty()) {
      continue;
    }
    const repo::Node* dir = nullptr;
    for (const auto& node : nodes) {
      if (node.name == component && node.type == "dir" && node.subtree) {
        dir = &node;
      }
    }
    if (dir == nullptr) {
      return core::NotFound("snapshot " + repo::IdToHex(snapshot.id).substr(0, 8) + " has no '" +
                            path + "'");
    }
    repo::Id subtree = *dir->subtree;
    HS_ASSIGN_OR_RETURN(nodes, LoadTree(repo, subtree));
  }
  return nodes;
}

}  // namespace hasteward::catalog
