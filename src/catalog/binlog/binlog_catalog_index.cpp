// BinlogCatalog's loads through the binlog piece index (binlog_index.h), and the index's build
// from the snapshots when it is missing (a repository written before it existed) or damaged.
#include <optional>
#include <set>
#include <string>

#include "catalog/archive_index_store.h"
#include "catalog/binlog/binlog_catalog.h"
#include "catalog/binlog/binlog_index.h"
#include "core/log.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::catalog {

namespace {

// Builds the index from the snapshots. Returns the records read from them when the index could
// not be written (a REST repository, read-only credentials), so the caller answers from them as
// before the index existed; nullopt once the index is written.
core::Result<std::optional<BinlogIndexRecords>> Rebuild(repo::Repository& repo,
                                                        const platform::Cluster& cluster) {
  // Shared: prune does not remove snapshots while they are read.
  auto lock = repo::RepoLock::Acquire(repo, repo::LockOptions{});
  // The index files are listed before the snapshots: every delta listed was written after its
  // snapshot, so the snapshots read next cover what Replace removes. A delta written later stays.
  HS_ASSIGN_OR_RETURN(BinlogIndex index, BinlogIndex::Open(repo, cluster));
  std::set<std::string> seen;
  HS_ASSIGN_OR_RETURN(BinlogIndexRecords records, ScanBinlogSnapshots(repo, cluster, &seen));
  if (!lock.ok()) {
    core::LogInfo("binlog index not built: " + lock.status().message());
    return std::optional<BinlogIndexRecords>(std::move(records));
  }
  core::Status replaced = index.Replace(records);
  HS_TRY((*lock)->Release());
  if (!replaced.ok()) {
    // A partial build leaves no summary, so readers keep using the snapshots.
    if (replaced.code() != core::ErrorCode::kUsage) {
      core::LogWarn("binlog index not built", {{"error", replaced.message()}});
    }
    return std::optional<BinlogIndexRecords>(std::move(records));
  }
  core::LogInfo("built the binlog index of '" + cluster.ns + "/" + cluster.name +
                    "' from its binlog snapshots",
                {{"pieces", std::to_string(records.pieces.size())},
                 {"snapshots", std::to_string(seen.size())}});
  return std::optional<BinlogIndexRecords>();
}

std::set<repo::Id> NamedSnapshots(const BinlogIndexRecords& records) {
  std::set<repo::Id> named;
  for (const BinlogIndexPiece& record : records.pieces) {
    named.insert(record.snapshot);
  }
  for (const BinlogIndexRewind& record : records.rewinds) {
    named.insert(record.snapshot);
  }
  return named;
}

// Every record of the complete index: built first when missing, rebuilt once when damaged (the
// damaged file is among those the build replaces), opened again when a file vanished because
// another writer merged it. `read_files`: the index files read; `from_index`: false when the
// records come from the snapshots.
core::Result<BinlogIndexRecords> ReadWholeIndex(repo::Repository& repo,
                                                const platform::Cluster& cluster,
                                                std::set<std::string>* read_files,
                                                bool* from_index) {
  bool rebuilt = false;
  for (int attempt = 0; attempt < 6; ++attempt) {
    HS_ASSIGN_OR_RETURN(BinlogIndex index, BinlogIndex::Open(repo, cluster));
    core::Status failed = core::Status::Ok();
    if (index.exists()) {
      std::set<std::string> read;
      auto records = index.ReadUnread(&read);
      if (records.ok()) {
        HS_ASSIGN_OR_RETURN(auto files, repo.ListFiles(storage::FileType::kSnapshot));
        std::set<std::string> listed;
        for (const auto& file : files) {
          listed.insert(file.name);
        }
        failed = CheckIndexedSnapshotsExist(repo, NamedSnapshots(*records), &listed, "binlog");
        if (failed.ok()) {
          *read_files = std::move(read);
          *from_index = true;
          return records;
        }
      } else {
        failed = records.TakeStatus();
      }
      if (failed.code() == core::ErrorCode::kNotFound) {
        continue;  // merged meanwhile: the next listing shows the merged file
      }
      if (failed.code() != core::ErrorCode::kCorruption || rebuilt) {
        return failed;
      }
      core::LogWarn("the binlog index is damaged; rebuilding it from the binlog snapshots",
                    {{"error", failed.message()}});
    }
    HS_ASSIGN_OR_RETURN(std::optional<BinlogIndexRecords> fallback, Rebuild(repo, cluster));
    if (fallback) {
      *from_index = false;
      return std::move(*fallback);
    }
    rebuilt = true;
  }
  return core::Status(core::ErrorCode::kStorage,
                      "the binlog index of '" + cluster.ns + "/" + cluster.name +
                          "' kept changing while it was read",
                      "another process is merging it; run the command again")
      .SetRetryable();
}

}  // namespace

core::Result<BinlogCatalog> BinlogCatalog::Load(repo::Repository& repo,
                                                const platform::Cluster& cluster) {
  BinlogCatalog catalog;
  HS_ASSIGN_OR_RETURN(
      BinlogIndexRecords records,
      ReadWholeIndex(repo, cluster, &catalog.read_index_files_, &catalog.from_index_));
  catalog.AddRecords(records);
  return catalog;
}

core::Status BinlogCatalog::Refresh(repo::Repository& repo, const platform::Cluster& cluster) {
  if (!from_index_) {
    HS_ASSIGN_OR_RETURN(BinlogIndexRecords records,
                        ScanBinlogSnapshots(repo, cluster, &seen_snapshots_));
    AddRecords(records);
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(BinlogIndex index, BinlogIndex::Open(repo, cluster));
  if (index.exists()) {
    // Only the files not read yet: others' deltas, and what a merge wrote (once per merge).
    std::set<std::string> read = read_index_files_;
    auto records = index.ReadUnread(&read);
    core::Status checked = records.ok() ? core::Status::Ok() : records.status();
    if (records.ok()) {
      std::set<repo::Id> unseen;
      for (const repo::Id& id : NamedSnapshots(*records)) {
        if (seen_snapshots_.count(repo::IdToHex(id)) == 0) {
          unseen.insert(id);
        }
      }
      checked = CheckIndexedSnapshotsExist(repo, unseen, nullptr, "binlog");
    }
    if (checked.ok()) {
      read_index_files_ = std::move(read);
      AddRecords(*records);
      return core::Status::Ok();
    }
    if (checked.code() != core::ErrorCode::kNotFound &&
        checked.code() != core::ErrorCode::kCorruption) {
      return checked;
    }
  }
  // Missing, damaged, or merged while it was read: the whole index again (built or rebuilt as
  // Load does). What the catalog holds stays; AddRecords ignores it.
  std::set<std::string> read;
  HS_ASSIGN_OR_RETURN(BinlogIndexRecords records,
                      ReadWholeIndex(repo, cluster, &read, &from_index_));
  read_index_files_ = std::move(read);
  AddRecords(records);
  return core::Status::Ok();
}

}  // namespace hasteward::catalog
