#include "jobs/native_parent.h"

#include "catalog/base_backup_record.h"
#include "core/log.h"
#include "jobs/native_backup.h"
#include "repo/snapshot/snapshot.h"

namespace hasteward::jobs {

namespace {

// Every file below tree `id`, by its path under `prefix`.
core::Status LoadFiles(repo::Repository& repo, const repo::Id& id, const std::string& prefix,
                       std::map<std::string, ParentFile>& files) {
  HS_ASSIGN_OR_RETURN(core::Bytes json, repo.LoadBlob(id, repo::BlobType::kTree));
  HS_ASSIGN_OR_RETURN(std::vector<repo::Node> nodes, repo::ParseTreeJson(core::AsString(json)));
  for (repo::Node& node : nodes) {
    std::string path = prefix.empty() ? node.name : prefix + "/" + node.name;
    if (node.type == "dir" && node.subtree) {
      HS_TRY(LoadFiles(repo, *node.subtree, path, files));
    } else if (node.type == "file") {
      files[path] = ParentFile{node.size, std::move(node.content)};
    }
  }
  return core::Status::Ok();
}

// The tree of the data directory `path` ("/ns/cluster/data") in snapshot `snapshot`.
core::Result<repo::Id> SubtreeOf(repo::Repository& repo, const repo::Snapshot& snapshot,
                                 const std::string& path) {
  repo::Id tree = snapshot.tree;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? slash : slash - start);
    start = slash == std::string::npos ? path.size() : slash + 1;
    if (part.empty()) {
      continue;
    }
    HS_ASSIGN_OR_RETURN(core::Bytes json, repo.LoadBlob(tree, repo::BlobType::kTree));
    HS_ASSIGN_OR_RETURN(std::vector<repo::Node> nodes, repo::ParseTreeJson(core::AsString(json)));
    bool found = false;
    for (const repo::Node& node : nodes) {
      if (node.name == part && node.type == "dir" && node.subtree) {
        tree = *node.subtree;
        found = true;
        break;
      }
    }
    if (!found) {
      return core::NotFound("'" + path + "' is not in the snapshot");
    }
  }
  return tree;
}

}  // namespace

core::Result<std::map<std::string, ParentFile>> NativeTreeFiles(repo::Repository& repo,
                                                                const repo::Snapshot& snapshot) {
  if (snapshot.paths.empty()) {
    return core::NotFound("the snapshot names no data directory");
  }
  HS_ASSIGN_OR_RETURN(repo::Id tree, SubtreeOf(repo, snapshot, snapshot.paths.front()));
  std::map<std::string, ParentFile> files;
  HS_TRY(LoadFiles(repo, tree, "", files));
  return files;
}

core::Result<std::optional<NativeParent>> ChooseNativeParent(repo::Repository& repo,
                                                             const platform::Cluster& cluster,
                                                             const ParentRequest& request,
                                                             std::string& why_full) {
  if (request.full) {
    why_full = "requested";
    return std::optional<NativeParent>();
  }
  HS_ASSIGN_OR_RETURN(std::vector<repo::Snapshot> snapshots, repo.ListSnapshots());
  const std::string path = "/" + NativeDataPath(cluster);
  // Newest first: the parent whose pages are closest to the database's.
  for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) {
    const repo::Snapshot& snapshot = *it;
    auto record = catalog::DecodeBaseBackup(snapshot);
    if (!record.ok() || !record->native || record->type != "backup" ||
        record->cluster != cluster.name || record->ns != cluster.ns ||
        record->block_size != request.block_size || snapshot.paths.empty() ||
        snapshot.paths.front() != path) {
      continue;  // another cluster's, another block size, or tags that do not decode
    }
    NativeParent parent;
    parent.snapshot = snapshot;
    parent.facts = catalog::FactsOf(*record);
    parent.run = static_cast<int>(record->incremental_run.value_or(0));
    if (request.full_every > 0 && parent.run + 1 >= request.full_every) {
      why_full = "full-every";
      return std::optional<NativeParent>();
    }
    auto files = NativeTreeFiles(repo, snapshot);
    if (!files.ok()) {
      // An unreadable parent is passed over: its blobs could not stand for this backup's.
      core::LogWarn("native snapshot " + repo::IdToHex(snapshot.id).substr(0, 8) +
                    " cannot be a parent: " + files.status().message());
      continue;
    }
    parent.files = std::move(*files);
    return std::optional<NativeParent>(std::move(parent));
  }
  why_full = "no-parent";
  return std::optional<NativeParent>();
}

}  // namespace hasteward::jobs
