#include "catalog/wal/wal_catalog.h"

#include <cstdlib>
#include <iterator>
#include <sstream>

#include "catalog/cluster_snapshots.h"
#include "catalog/wal/archived_file_reader.h"
#include "catalog/wal/wal_path.h"
#include "core/byte_stream.h"

namespace hasteward::catalog {

std::string WalPath(const platform::Cluster& cluster) {
  return cluster.ns + "/" + cluster.name + "/wal";
}

core::Result<WalCatalog> WalCatalog::LoadFromSnapshots(repo::Repository& repo,
                                                       const platform::Cluster& cluster,
                                                       const engine::Archiving& archiving) {
  HS_ASSIGN_OR_RETURN(auto snapshots, ClusterSnapshots(repo, cluster, repo::SnapshotType::kWal));
  // Each snapshot's directory is a few dependent tree reads; read the snapshots in parallel, as
  // many as the backend serves at once: one after another, a month of WAL snapshots on S3 costs
  // seconds of round trips.
  std::vector<std::vector<repo::Node>> listed(snapshots.size());
  HS_TRY(repo::ParallelFor(
      snapshots.size(), repo.backend().Connections(), [&](size_t i) -> core::Status {
        HS_ASSIGN_OR_RETURN(listed[i], LoadDirectory(repo, snapshots[i], WalPath(cluster)));
        return core::Status::Ok();
      }));
  WalCatalog catalog;
  catalog.complete_ = true;
  catalog.snapshots_ = snapshots.size();
  // In snapshot order, so a file in several snapshots is the oldest one's, as before.
  for (size_t i = 0; i < snapshots.size(); ++i) {
    for (auto& node : listed[i]) {
      auto file = archiving.ParseFileName(node.name);
      if (node.type != "file" || !file.ok() || catalog.files_.count(node.name) != 0) {
        continue;
      }
      if (file->kind == engine::ArchiveFileKind::kSegment) {
        AddToRuns(catalog.runs_[file->timeline], file->segment, node.mtime);
      }
      std::string name = node.name;  // the key, before the node moves into the value
      catalog.files_.emplace(std::move(name),
                             ArchivedFile{*file, std::move(node), snapshots[i].id, {}, {}});
    }
  }
  catalog.file_count_ = catalog.files_.size();
  return catalog;
}

void WalCatalog::AddEntry(const WalIndexEntry& entry) {
  ArchivedFile archived;
  archived.file = engine::ArchiveFile{entry.name, entry.kind, entry.timeline, entry.segment};
  archived.node.name = entry.name;
  archived.node.type = "file";
  archived.node.mode = 0600;
  archived.node.size = entry.size;
  archived.node.mtime = entry.mtime;
  for (const IndexedBlob& blob : entry.content) {
    archived.node.content.push_back(blob.id);
  }
  archived.snapshot = entry.snapshot;
  archived.sha256 = entry.sha256;
  archived.locations = entry.content;
  files_.emplace(entry.name, std::move(archived));
}

void WalCatalog::AddSummary(const WalIndexSummary& summary) {
  runs_ = summary.runs;
  for (const auto& [name, history] : summary.histories) {
    AddEntry(history);
  }
  file_count_ = summary.files();
  snapshots_ = summary.wal_snapshots;
  bases_.emplace();
  for (const auto& [id, base] : summary.bases) {
    bases_->push_back(base);
  }
}

bool WalCatalog::Loaded(const engine::ArchiveFile& file) const {
  return complete_ || file.kind == engine::ArchiveFileKind::kHistory ||
         loaded_buckets_.count({file.timeline, BucketOf(file.segment)}) != 0;
}

std::vector<WalIndexEntry> WalCatalog::Entries(const repo::MasterIndex& pack_index) const {
  std::vector<WalIndexEntry> entries;
  entries.reserve(files_.size());
  for (const auto& [name, archived] : files_) {
    WalIndexEntry entry{name,
                        archived.file.kind,
                        archived.file.timeline,
                        archived.file.segment,
                        archived.node.size,
                        archived.node.mtime,
                        archived.sha256,
                        archived.snapshot,
                        archived.locations};
    if (entry.content.size() != archived.node.content.size()) {
      entry.content.clear();
      for (const repo::Id& id : archived.node.content) {
        // A blob missing from the pack index gets no position; the reader's fallback then says
        // it is in no pack, as the snapshot path would.
        auto location = pack_index.Lookup(id, repo::BlobType::kData);
        entry.content.push_back(location ? IndexedBlob{id, location->pack_id, location->blob.offset,
                                                       location->blob.length,
                                                       location->blob.uncompressed_length}
                                         : IndexedBlob{id, {}, 0, 0, 0});
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

const ArchivedFile* WalCatalog::Find(const std::string& name) const {
  auto it = files_.find(name);
  if (it != files_.end()) {
    return &it->second;
  }
  return nullptr;
}

std::map<uint64_t, const ArchivedFile*> WalCatalog::Segments(uint32_t timeline) const {
  if (!complete_) {
    std::abort();  // a caller bug: a partial catalog would drop the segments it never read
  }
  std::map<uint64_t, const ArchivedFile*> out;
  for (const auto& [name, archived] : files_) {
    if (archived.file.kind == engine::ArchiveFileKind::kSegment &&
        archived.file.timeline == timeline) {
      out.emplace(archived.file.segment, &archived);
    }
  }
  return out;
}

const SegmentRuns& WalCatalog::Runs(uint32_t timeline) const {
  static const SegmentRuns kNone;
  auto it = runs_.find(timeline);
  return it == runs_.end() ? kNone : it->second;
}

std::optional<uint64_t> WalCatalog::NewestSegment(uint32_t timeline) const {
  const SegmentRuns& runs = Runs(timeline);
  if (runs.empty()) {
    return std::nullopt;
  }
  return runs.rbegin()->second.last;
}

std::optional<repo::GoTime> WalCatalog::SegmentTime(uint32_t timeline, uint64_t segment) const {
  const SegmentRuns& runs = Runs(timeline);
  auto after = runs.upper_bound(segment);
  if (after == runs.begin() || std::prev(after)->second.last < segment) {
    return std::nullopt;
  }
  const SegmentRun& run = std::prev(after)->second;
  if (segment == run.last) {
    return run.last_mtime;
  }
  if (segment == run.first) {
    return run.first_mtime;
  }
  for (const auto& [name, archived] : files_) {
    if (archived.file.kind == engine::ArchiveFileKind::kSegment &&
        archived.file.timeline == timeline && archived.file.segment == segment) {
      return archived.node.mtime;
    }
  }
  return std::nullopt;
}

std::set<uint32_t> WalCatalog::SegmentTimelines() const {
  std::set<uint32_t> out;
  for (const auto& [timeline, runs] : runs_) {
    if (!runs.empty()) {
      out.insert(timeline);
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
    HS_TRY(DumpArchived(repo, archived, text));
    auto branches =
        archiving.ParseTimelineHistory(std::string(text.data().begin(), text.data().end()));
    if (!branches.ok()) {
      return core::Corruption("archived '" + name + "': " + branches.status().message());
    }
    histories_.emplace(archived.file.timeline, std::move(*branches));
  }
  return core::Status::Ok();
}

}  // namespace hasteward::catalog
