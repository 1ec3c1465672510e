// WalCatalog's loads through the archive index (wal_index.h), and the index's build from the
// snapshots when it is missing (a repository written before it existed) or damaged.
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "catalog/wal/wal_bases.h"
#include "catalog/wal/wal_catalog.h"
#include "catalog/wal/wal_index.h"
#include "core/log.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::catalog {

namespace {

// Builds the index from the snapshots. Returns the catalog read from them when the index could not
// be written (a REST repository, or read-only credentials: a standby's wal-fetch), so the caller
// answers from it as before the index existed; nullopt once the index is written.
core::Result<std::optional<WalCatalog>> Rebuild(repo::Repository& repo,
                                                const platform::Cluster& cluster,
                                                const engine::Archiving& archiving) {
  // Shared: prune does not remove snapshots or packs while they are read. Without it (no right to
  // write a lock) the snapshots are read as wal-fetch always read them, and nothing is written.
  auto lock = repo::RepoLock::Acquire(repo, repo::LockOptions{});
  HS_TRY(repo.LoadIndex());
  // The index files are listed before the snapshots: every delta listed was written after its
  // snapshot, so the snapshots read next cover what Replace removes. A delta written later stays.
  HS_ASSIGN_OR_RETURN(WalIndex index, WalIndex::Open(repo, cluster));
  HS_ASSIGN_OR_RETURN(WalCatalog catalog, WalCatalog::LoadFromSnapshots(repo, cluster, archiving));
  if (!lock.ok()) {
    core::LogInfo("archive index not built: " + lock.status().message());
    return std::optional<WalCatalog>(std::move(catalog));
  }
  // The bases too, so status never reads the snapshots: every native base of the cluster,
  // whichever version or command made it.
  HS_ASSIGN_OR_RETURN(std::vector<BaseBackup> bases, ListBaseBackups(repo, cluster));
  std::vector<IndexedBase> indexed_bases;
  indexed_bases.reserve(bases.size());
  for (const BaseBackup& base : bases) {
    indexed_bases.push_back(IndexedBaseOf(base));
  }
  core::Status replaced = index.Replace(catalog.Entries(repo.index()), indexed_bases);
  HS_TRY((*lock)->Release());
  if (!replaced.ok()) {
    // A partial build leaves no summary, so readers keep using the snapshots.
    if (replaced.code() != core::ErrorCode::kUsage) {
      core::LogWarn("archive index not built", {{"error", replaced.message()}});
    }
    return std::optional<WalCatalog>(std::move(catalog));
  }
  core::LogInfo(
      "built the archive index of '" + cluster.ns + "/" + cluster.name + "' from its WAL snapshots",
      {{"files", std::to_string(catalog.files())},
       {"snapshots", std::to_string(catalog.snapshots())}});
  return std::optional<WalCatalog>();
}

// An entry naming a snapshot that is gone means the index is stale: something other than our
// prune (stock restic's forget) deleted WAL snapshots. That is damage like a torn file: the caller
// rebuilds the index from the snapshots that remain, so a gap is never hidden from a restore's
// plan and a re-push never takes a forgotten copy for an archived one. `listed`: the snapshot
// files' names when the caller listed them all (a whole-archive read), else each one is looked up.
core::Status CheckSnapshotsExist(repo::Repository& repo, const std::set<repo::Id>& ids,
                                 const std::set<std::string>* listed) {
  for (const repo::Id& id : ids) {
    const std::string name = repo::IdToHex(id);
    bool exists = listed != nullptr && listed->count(name) != 0;
    if (listed == nullptr) {
      auto info = repo.backend().Stat(storage::Handle{storage::FileType::kSnapshot, name});
      if (!info.ok() && info.status().code() != core::ErrorCode::kNotFound) {
        return info.TakeStatus();
      }
      exists = info.ok();
    }
    if (!exists) {
      return core::Corruption("the archive index names snapshot " + name.substr(0, 8) +
                              ", which is gone (removed by other means than hasteward prune)");
    }
  }
  return core::Status::Ok();
}

using IndexRead = std::function<core::Result<WalCatalog>(WalIndex&)>;

// Runs `read` on the complete index: built first when missing, rebuilt once when a file is damaged
// (the damaged file is among those the build replaces), opened again when a file vanished because
// another writer merged it.
core::Result<WalCatalog> FromIndex(repo::Repository& repo, const platform::Cluster& cluster,
                                   const engine::Archiving& archiving, const IndexRead& read) {
  bool rebuilt = false;
  int vanished = 0;
  for (int attempt = 0; attempt < 6; ++attempt) {
    HS_ASSIGN_OR_RETURN(WalIndex index, WalIndex::Open(repo, cluster));
    if (!index.exists()) {
      HS_ASSIGN_OR_RETURN(std::optional<WalCatalog> fallback, Rebuild(repo, cluster, archiving));
      if (fallback) {
        return std::move(*fallback);
      }
      rebuilt = true;
      continue;
    }
    auto catalog = read(index);
    if (catalog.ok() || (catalog.status().code() != core::ErrorCode::kNotFound &&
                         (catalog.status().code() != core::ErrorCode::kCorruption || rebuilt))) {
      return catalog;
    }
    // A file gone once is a merge that raced the read; gone on every reread, a summary names a
    // bucket file nothing replaced (a rebuild raced a merge): damage, rebuilt like a torn file.
    const bool damaged =
        catalog.status().code() == core::ErrorCode::kCorruption || (++vanished >= 3 && !rebuilt);
    if (damaged) {
      core::LogWarn("the archive index is damaged; rebuilding it from the WAL snapshots",
                    {{"error", catalog.status().message()}});
      HS_ASSIGN_OR_RETURN(std::optional<WalCatalog> fallback, Rebuild(repo, cluster, archiving));
      if (fallback) {
        return std::move(*fallback);
      }
      rebuilt = true;
    }
  }
  return core::Status(core::ErrorCode::kStorage,
                      "the archive index of '" + cluster.ns + "/" + cluster.name +
                          "' kept changing while it was read",
                      "another process is merging it; run the command again")
      .SetRetryable();
}

}  // namespace

core::Result<WalCatalog> WalCatalog::Load(repo::Repository& repo, const platform::Cluster& cluster,
                                          const engine::Archiving& archiving) {
  return FromIndex(repo, cluster, archiving, [&repo](WalIndex& index) -> core::Result<WalCatalog> {
    HS_ASSIGN_OR_RETURN(std::vector<WalIndexEntry> entries, index.ReadAll());
    HS_ASSIGN_OR_RETURN(auto files, repo.ListFiles(storage::FileType::kSnapshot));
    std::set<std::string> listed;
    for (const auto& file : files) {
      listed.insert(file.name);
    }
    std::set<repo::Id> named;
    for (const WalIndexEntry& entry : entries) {
      named.insert(entry.snapshot);
    }
    HS_TRY(CheckSnapshotsExist(repo, named, &listed));
    WalCatalog catalog;
    catalog.complete_ = true;
    for (const WalIndexEntry& entry : entries) {
      if (entry.kind == engine::ArchiveFileKind::kSegment) {
        AddToRuns(catalog.runs_[entry.timeline], entry.segment, entry.mtime);
      }
      catalog.AddEntry(entry);
    }
    catalog.file_count_ = catalog.files_.size();
    return catalog;
  });
}

core::Result<WalCatalog> WalCatalog::LoadFiles(repo::Repository& repo,
                                               const platform::Cluster& cluster,
                                               const engine::Archiving& archiving,
                                               const std::vector<engine::ArchiveFile>& names) {
  return LoadIndexed(repo, cluster, archiving, names, false);
}

core::Result<WalCatalog> WalCatalog::LoadIndexed(repo::Repository& repo,
                                                 const platform::Cluster& cluster,
                                                 const engine::Archiving& archiving,
                                                 const std::vector<engine::ArchiveFile>& names,
                                                 bool check_bases) {
  return FromIndex(repo, cluster, archiving, [&](WalIndex& index) -> core::Result<WalCatalog> {
    WalCatalog catalog;
    catalog.index_deltas_ = index.listed_deltas();
    HS_ASSIGN_OR_RETURN(WalIndexSummary summary, index.ReadSummary());
    catalog.AddSummary(summary);
    for (const engine::ArchiveFile& file : names) {
      if (file.kind == engine::ArchiveFileKind::kHistory || catalog.Loaded(file)) {
        continue;  // histories come with the summary
      }
      const uint64_t bucket = BucketOf(file.segment);
      HS_ASSIGN_OR_RETURN(std::vector<WalIndexEntry> entries,
                          index.ReadBucket(file.timeline, bucket));
      for (const WalIndexEntry& entry : entries) {
        catalog.AddEntry(entry);
      }
      catalog.loaded_buckets_.insert({file.timeline, bucket});
    }
    std::set<repo::Id> named;
    for (const engine::ArchiveFile& file : names) {
      if (const ArchivedFile* archived = catalog.Find(file.name)) {
        named.insert(archived->snapshot);
      }
    }
    HS_TRY(CheckSnapshotsExist(repo, named, nullptr));
    // A base forgotten by other means than our prune (stock restic's forget) would show a window
    // for a base no restore can use: the index is stale then, rebuilt like a damaged one.
    std::set<repo::Id> bases;
    for (const IndexedBase& base : check_bases ? *catalog.bases_ : std::vector<IndexedBase>{}) {
      bases.insert(base.snapshot);
    }
    HS_TRY(CheckSnapshotsExist(repo, bases, nullptr));
    return catalog;
  });
}

core::Result<WalCatalog> WalCatalog::LoadSummary(repo::Repository& repo,
                                                 const platform::Cluster& cluster,
                                                 const engine::Archiving& archiving) {
  HS_ASSIGN_OR_RETURN(WalCatalog catalog, LoadIndexed(repo, cluster, archiving, {}, true));
  if (catalog.complete_) {
    return catalog;  // from the snapshots: everything is there
  }
  HS_TRY(catalog.LoadHistories(repo, archiving));
  // A window ends inside a run where its path leaves a timeline: at the segment before the switch
  // or the one holding it. Their times come from their buckets, one or two per timeline switch.
  std::vector<engine::ArchiveFile> around_switches;
  for (const auto& [timeline, branches] : catalog.histories()) {
    for (const engine::TimelineBranch& branch : branches) {
      const uint64_t segment = branch.switch_position / archiving.SegmentBytes();
      for (uint64_t near : {segment == 0 ? segment : segment - 1, segment}) {
        around_switches.push_back(
            engine::ArchiveFile{"", engine::ArchiveFileKind::kSegment, branch.parent, near});
      }
    }
  }
  if (around_switches.empty()) {
    return catalog;
  }
  HS_ASSIGN_OR_RETURN(WalCatalog with_buckets,
                      LoadIndexed(repo, cluster, archiving, around_switches, true));
  HS_TRY(with_buckets.LoadHistories(repo, archiving));
  return with_buckets;
}

}  // namespace hasteward::catalog
