// catalog/wal/wal_catalog: the archived files of one cluster, as a caller needs them: read from the
// archive index (catalog/wal/wal_index.h) — all of them, the summary, or only the buckets of named
// files — or, to build that index, from the cluster's type=wal snapshots.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "catalog/snapshot_directory.h"
#include "catalog/wal/timeline_path.h"
#include "catalog/wal/wal_chain.h"
#include "catalog/wal/wal_index_format.h"
#include "core/status.h"
#include "engine/archiving.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::catalog {

struct ArchivedFile {
  engine::ArchiveFile file;
  repo::Node node;      // content, size and the modification time the server's file had
  repo::Id snapshot{};  // the WAL snapshot holding it
  std::string sha256;   // of the whole file, when the index has it
  // Where the content blobs were stored (hints: archived_file_reader.h); empty for files read
  // from the snapshots, which are read through the pack index.
  std::vector<IndexedBlob> locations;
};

class WalCatalog {
 public:
  // Every archived file, from the index (built from the snapshots first when it is missing or
  // damaged). For restores, which replay a part of the archive anyway. Errors: storage and
  // corruption errors of the repository.
  static core::Result<WalCatalog> Load(repo::Repository& repo, const platform::Cluster& cluster,
                                       const engine::Archiving& archiving);
  // What status reads: the runs of segments, the history files, the base backups (each one's
  // snapshot checked to exist: one gone makes the index be rebuilt, never answered from), and the
  // files of the buckets holding the timelines' switch segments (WindowOf reads their times),
  // found through the summary without listing the buckets. Errors as Load.
  static core::Result<WalCatalog> LoadSummary(repo::Repository& repo,
                                              const platform::Cluster& cluster,
                                              const engine::Archiving& archiving);
  // The runs and histories plus the files of the buckets holding `names` (wal-push's batch,
  // wal-fetch's file and its prefetch). Errors as Load.
  static core::Result<WalCatalog> LoadFiles(repo::Repository& repo,
                                            const platform::Cluster& cluster,
                                            const engine::Archiving& archiving,
                                            const std::vector<engine::ArchiveFile>& names);
  // Lists the cluster's WAL snapshots and reads their trees (one directory each): the rebuild of
  // the index. The pack index must be loaded. A file in several snapshots (a retried push) is
  // listed once. Files whose names the engine does not know are skipped.
  static core::Result<WalCatalog> LoadFromSnapshots(repo::Repository& repo,
                                                    const platform::Cluster& cluster,
                                                    const engine::Archiving& archiving);

  // nullptr when `name` is not archived. The name's bucket must have been loaded (a program
  // error otherwise: the catalog would answer "not archived" for a file it never read).
  const ArchivedFile* Find(const std::string& name) const;
  // The whole segments archived on `timeline`, by segment number. Catalogs from Load only.
  std::map<uint64_t, const ArchivedFile*> Segments(uint32_t timeline) const;
  // The runs of whole segments archived on `timeline` (empty when none).
  const SegmentRuns& Runs(uint32_t timeline) const;
  // The newest whole segment archived on `timeline`.
  std::optional<uint64_t> NewestSegment(uint32_t timeline) const;
  // The last write time of an archived segment: a run's end, or a loaded file. nullopt when it
  // is not archived or its bucket was not read.
  std::optional<repo::GoTime> SegmentTime(uint32_t timeline, uint64_t segment) const;
  // The timelines with at least one archived whole segment.
  std::set<uint32_t> SegmentTimelines() const;
  // Reads and parses every archived timeline history file (histories()). kCorruption naming a
  // history file the engine cannot parse; repository errors.
  core::Status LoadHistories(repo::Repository& repo, const engine::Archiving& archiving);
  const TimelineHistories& histories() const { return histories_; }
  size_t files() const { return file_count_; }
  size_t snapshots() const { return snapshots_; }
  void set_snapshots(size_t snapshots) { snapshots_ = snapshots; }
  // How many index deltas the load listed; nullopt when the catalog was read from the snapshots.
  std::optional<size_t> index_deltas() const { return index_deltas_; }
  // The native base backups the index records (LoadSummary and LoadFiles), each checked by
  // LoadSummary to still be in the repository; nullopt when the catalog was read from the
  // snapshots (the caller then lists the bases from them too).
  const std::optional<std::vector<IndexedBase>>& indexed_bases() const { return bases_; }

  // The catalog's files as index entries (locations looked up in the loaded pack index).
  std::vector<WalIndexEntry> Entries(const repo::MasterIndex& pack_index) const;

 private:
  // LoadFiles, and with `check_bases` each indexed base's snapshot looked up (LoadSummary).
  static core::Result<WalCatalog> LoadIndexed(repo::Repository& repo,
                                              const platform::Cluster& cluster,
                                              const engine::Archiving& archiving,
                                              const std::vector<engine::ArchiveFile>& names,
                                              bool check_bases);
  void AddEntry(const WalIndexEntry& entry);
  void AddSummary(const WalIndexSummary& summary);
  bool Loaded(const engine::ArchiveFile& file) const;

  std::map<std::string, ArchivedFile> files_;
  std::map<uint32_t, SegmentRuns> runs_;
  std::set<std::pair<uint32_t, uint64_t>> loaded_buckets_;
  bool complete_ = false;  // every file is in files_
  TimelineHistories histories_;
  size_t file_count_ = 0;
  size_t snapshots_ = 0;
  std::optional<size_t> index_deltas_;
  std::optional<std::vector<IndexedBase>> bases_;
};

}  // namespace hasteward::catalog
