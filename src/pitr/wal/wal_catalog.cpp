#include "pitr/wal/wal_catalog.h"

#include <sstream>

#include "core/byte_stream.h"
#include "jobs/jobs.h"
#include "pitr/pitr.h"
#include "repo/restore/file_dumper.h"

namespace hasteward::pitr {

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

core::Result<WalCatalog> WalCatalog::Load(repo::Repository& repo, const platform::Cluster& cluster,
                                          const engine::Archiving& archiving) {
  HS_ASSIGN_OR_RETURN(auto snapshots,
                      jobs::ClusterSnapshots(repo, cluster, repo::SnapshotType::kWal));
  // Each snapshot's directory is a few dependent tree reads; read the snapshots in parallel, as
  // many as the backend serves at once: one after another, a month of WAL snapshots on S3 costs
  // every wal-push seconds of round trips.
  std::vector<std::vector<repo::Node>> listed(snapshots.size());
  HS_TRY(repo::ParallelFor(
      snapshots.size(), repo.backend().Connections(), [&](size_t i) -> core::Status {
        HS_ASSIGN_OR_RETURN(listed[i], LoadDirectory(repo, snapshots[i], WalPath(cluster)));
        return core::Status::Ok();
      }));
  WalCatalog catalog;
  catalog.snapshots_ = snapshots.size();
  // In snapshot order, so a file in several snapshots is the oldest one's, as before.
  for (size_t i = 0; i < snapshots.size(); ++i) {
    for (auto& node : listed[i]) {
      auto file = archiving.ParseFileName(node.name);
      if (node.type != "file" || !file.ok() || catalog.files_.count(node.name) != 0) {
        continue;
      }
      std::string name = node.name;  // the key, before the node moves into the value
      catalog.files_.emplace(std::move(name),
                             ArchivedFile{*file, std::move(node), snapshots[i].id});
    }
  }
  return catalog;
}

const ArchivedFile* WalCatalog::Find(const std::string& name) const {
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : &it->second;
}

std::map<uint64_t, const ArchivedFile*> WalCatalog::Segments(uint32_t timeline) const {
  std::map<uint64_t, const ArchivedFile*> out;
  for (const auto& [name, archived] : files_) {
    if (archived.file.kind == engine::ArchiveFileKind::kSegment &&
        archived.file.timeline == timeline) {
      out.emplace(archived.file.segment, &archived);
    }
  }
  return out;
}

std::set<uint32_t> WalCatalog::SegmentTimelines() const {
  std::set<uint32_t> out;
  for (const auto& [name, archived] : files_) {
    if (archived.file.kind == engine::ArchiveFileKind::kSegment) {
      out.insert(archived.file.timeline);
    }
  }
  return out;
}

core::Status WalCatalog::LoadHistories(repo::Repository& repo, const engine::Archiving& archiving) {
  histories_.clear();
  for (const auto& [name, archived] : files_) {
    if (archived.file.kind != engine::ArchiveFileKind::kHistory) {
      continue;
    }
    core::MemorySink text;  // a few lines per ancestor timeline
    HS_TRY(repo::DumpFile(repo, archived.node, text, {}).status());
    auto branches =
        archiving.ParseTimelineHistory(std::string(text.data().begin(), text.data().end()));
    if (!branches.ok()) {
      return core::Corruption("archived '" + name + "': " + branches.status().message());
    }
    histories_.emplace(archived.file.timeline, std::move(*branches));
  }
  return core::Status::Ok();
}

}  // namespace hasteward::pitr
