// pitr/wal/wal_catalog: the archived files of one cluster, read from its type=wal snapshots.
#pragma once

#include <map>
#include <set>
#include <string>

#include "core/status.h"
#include "engine/archiving.h"
#include "pitr/wal/timeline_path.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::pitr {

struct ArchivedFile {
  engine::ArchiveFile file;
  repo::Node node;      // content, size and the modification time the server's file had
  repo::Id snapshot{};  // the WAL snapshot holding it
};

class WalCatalog {
 public:
  // Lists the cluster's WAL snapshots and reads their trees (one directory each). The index must
  // be loaded. A file in several snapshots (a retried push) is listed once. Files whose names the
  // engine does not know are skipped. Errors: storage and corruption errors of the repository.
  static core::Result<WalCatalog> Load(repo::Repository& repo, const platform::Cluster& cluster,
                                       const engine::Archiving& archiving);

  // nullptr when `name` is not archived.
  const ArchivedFile* Find(const std::string& name) const;
  // The whole segments archived on `timeline`, by segment number.
  std::map<uint64_t, const ArchivedFile*> Segments(uint32_t timeline) const;
  // The timelines with at least one archived whole segment.
  std::set<uint32_t> SegmentTimelines() const;
  // Reads and parses every archived timeline history file (histories()). The index must be
  // loaded. kCorruption naming a history file the engine cannot parse; repository errors.
  core::Status LoadHistories(repo::Repository& repo, const engine::Archiving& archiving);
  const TimelineHistories& histories() const { return histories_; }
  size_t files() const { return files_.size(); }
  size_t snapshots() const { return snapshots_; }

 private:
  std::map<std::string, ArchivedFile> files_;
  TimelineHistories histories_;
  size_t snapshots_ = 0;
};

// The nodes of the directory at `path` ("a/b/c") below the snapshot's root tree; kNotFound when a
// component is missing.
core::Result<std::vector<repo::Node>> LoadDirectory(repo::Repository& repo,
                                                    const repo::Snapshot& snapshot,
                                                    const std::string& path);

}  // namespace hasteward::pitr
