// WalIndex's merges: a push's Compact (deltas into their buckets and a new summary, under a shared
// lock, racing other pushers safely) and Replace (the whole index written anew: a build from the
// snapshots, or prune's rewrite).
#include <iterator>

#include "catalog/wal/wal_index.h"
#include "core/log.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::catalog {

core::Status WalIndex::RemoveAll(const std::vector<storage::Handle>& handles) {
  return repo::ParallelFor(handles.size(), repo_->backend().Connections(), [&](size_t i) {
    core::Status removed = repo_->backend().Remove(handles[i]);
    // Gone already: a merge that raced this one removed it after writing what replaces it.
    return removed.code() == core::ErrorCode::kNotFound ? core::Status::Ok() : removed;
  });
}

// Writes one bucket file per (timeline, bucket) the entries touch (history files go to the summary
// only), each naming the files it replaces; returns each bucket's new file id.
core::Result<std::map<BucketKey, std::string>> WalIndex::WriteBuckets(
    const std::vector<WalIndexEntry>& entries,
    const std::map<BucketKey, std::set<std::string>>& supersedes) {
  std::map<BucketKey, IndexFileContent> files;
  for (const WalIndexEntry& entry : entries) {
    if (entry.kind == engine::ArchiveFileKind::kHistory) {
      continue;
    }
    IndexFileContent& file = files[{entry.timeline, BucketOf(entry.segment)}];
    file.cluster = cluster_;
    file.part = IndexPart::kBucket;
    file.entries.push_back(entry);
  }
  std::map<BucketKey, std::string> written;
  for (auto& [key, file] : files) {
    auto replaced = supersedes.find(key);
    if (replaced != supersedes.end()) {
      file.supersedes = replaced->second;
    }
    written[key] = NewIndexFileId();
  }
  HS_TRY(repo::ParallelFor(files.size(), repo_->backend().Connections(), [&](size_t i) {
    auto it = std::next(files.begin(), static_cast<std::ptrdiff_t>(i));
    return WriteFile(BucketFile(it->first, written.at(it->first)), it->second);
  }));
  return written;
}

// Everything merged is read first; a file that vanished (kNotFound) means another writer merged
// it. Returns the files the new ones replace.
core::Result<std::vector<storage::Handle>> WalIndex::MergeDeltas() {
  HS_ASSIGN_OR_RETURN(const Deltas* deltas, ReadDeltas());
  HS_ASSIGN_OR_RETURN(WalIndexSummary summary, ReadSummary());
  std::set<BucketKey> touched;
  for (const WalIndexEntry& entry : deltas->entries) {
    if (entry.kind != engine::ArchiveFileKind::kHistory) {
      touched.insert({entry.timeline, BucketOf(entry.segment)});
    }
  }
  std::vector<WalIndexEntry> entries;
  std::map<BucketKey, std::set<std::string>> supersedes;
  std::vector<storage::Handle> replaced;
  for (const BucketKey& key : touched) {
    BucketFiles files;
    HS_ASSIGN_OR_RETURN(std::vector<WalIndexEntry> bucket, ReadMergedBucket(key, &files));
    std::move(bucket.begin(), bucket.end(), std::back_inserter(entries));
    for (const std::string& id : files.named) {
      replaced.push_back(BucketFile(key, id));
    }
    // Transitively: a summary of a merge that raced an older one may still name a file that
    // merge removed; the new file must say it holds that one's entries too.
    supersedes[key] = std::move(files.superseded);
    supersedes[key].insert(files.named.begin(), files.named.end());
  }
  // Merged files are durable before the ones they replace go: a crash between leaves both, which
  // readers union (and the summary's merged_deltas keeps the count from counting a delta twice).
  HS_ASSIGN_OR_RETURN(auto written, WriteBuckets(entries, supersedes));
  for (const auto& [key, id] : written) {
    summary.buckets[key] = {id};
  }
  summary.merged_deltas = deltas->pushes;
  IndexFileContent summary_file;
  summary_file.cluster = cluster_;
  summary_file.part = IndexPart::kSummary;
  summary_file.summary = std::move(summary);
  HS_TRY(WriteFile(IndexFile("s", NewIndexFileId()), summary_file));
  for (const std::string& name : summaries_) {
    replaced.push_back({storage::FileType::kArchiveIndex, name});
  }
  for (const std::string& name : deltas_) {
    replaced.push_back({storage::FileType::kArchiveIndex, name});
  }
  return replaced;
}

core::Status WalIndex::Compact(size_t max_deltas) {
  if (deltas_.size() <= max_deltas || !exists()) {
    return core::Status::Ok();
  }
  auto lock = repo::RepoLock::Acquire(*repo_, repo::LockOptions{});
  if (!lock.ok()) {
    core::LogInfo("archive index not merged now: " + lock.status().message());
    return core::Status::Ok();
  }
  auto merged = MergeDeltas();
  if (!merged.ok()) {
    if (merged.status().code() == core::ErrorCode::kNotFound) {
      return core::Status::Ok();  // another writer merged meanwhile: only an optimisation
    }
    return merged.TakeStatus();
  }
  HS_TRY(RemoveAll(*merged));
  return (*lock)->Release();
}

core::Status WalIndex::Replace(const std::vector<WalIndexEntry>& entries,
                               const std::vector<IndexedBase>& bases) {
  HS_ASSIGN_OR_RETURN(auto written, WriteBuckets(entries, {}));
  IndexFileContent summary_file;
  summary_file.cluster = cluster_;
  summary_file.part = IndexPart::kSummary;
  std::set<repo::Id> snapshots;
  for (const WalIndexEntry& entry : entries) {
    summary_file.summary.Add(entry);
    snapshots.insert(entry.snapshot);
  }
  for (const IndexedBase& base : bases) {
    summary_file.summary.bases.emplace(base.snapshot, base);
  }
  for (const auto& [key, id] : written) {
    summary_file.summary.buckets[key] = {id};
  }
  summary_file.summary.wal_snapshots = snapshots.size();
  HS_TRY(WriteFile(IndexFile("s", NewIndexFileId()), summary_file));
  std::vector<storage::Handle> removed;
  for (const auto* names : {&summaries_, &deltas_, &legacy_}) {
    for (const std::string& name : *names) {
      removed.push_back({storage::FileType::kArchiveIndex, name});
    }
  }
  std::set<std::string> kept;
  for (const auto& [key, id] : written) {
    kept.insert(BucketFile(key, id).name);
  }
  const std::string prefix = key_ + "-";
  HS_TRY(repo_->backend().List(
      storage::FileType::kArchiveBucket, [&](const storage::FileInfo& info) -> core::Status {
        if (info.name.rfind(prefix, 0) == 0 && kept.count(info.name) == 0 &&
            storage::IsValidName(storage::FileType::kArchiveBucket, info.name)) {
          removed.push_back({storage::FileType::kArchiveBucket, info.name});
        }
        return core::Status::Ok();
      }));
  return RemoveAll(removed);
}

}  // namespace hasteward::catalog
