// pitr/wal/wal_index: one cluster's archive index in the repository, at hasteward/archive-index/
// (storage::FileType::kArchiveIndex, docs/pitr.md "The archive index"). Files, each the JSON of
// wal_index_format.h compressed and encrypted with the repository's key:
//   <key>-d-<random>.idx                    a delta: the entries one wal-push stored
//   <key>-b-<timeline>-<bucket>-<random>.idx a bucket: the merged entries of 256 segments
//   <key>-s-<random>.idx                    a summary: runs, histories, other files
// where <key> names the cluster. Writers only add files with new names, and a file is removed only
// by a writer that first wrote a file holding everything it held, so readers take the union of what
// they list and two writers never lose each other's entries. The index is complete (exists()) once
// a summary exists: a build from the snapshots writes it last.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "pitr/archive_index_store.h"
#include "pitr/wal/wal_index_format.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::pitr {

// More deltas than this and the writer that sees them merges them into their buckets and the
// summary: a reader then reads at most this many small deltas besides one bucket or the summary.
constexpr size_t kMaxIndexDeltas = 16;

class WalIndex {
 public:
  // Lists the cluster's index files (names only). Errors: the listing's.
  static core::Result<WalIndex> Open(repo::Repository& repo, const platform::Cluster& cluster);
  // Without the listing: only Append works (a push that listed the index a moment ago, when it
  // looked its files up, appends without listing it again).
  static WalIndex Unlisted(repo::Repository& repo, const platform::Cluster& cluster);

  // True when a summary exists: every file a wal-push acknowledged is then in the index.
  bool exists() const { return !summaries_.empty(); }

  // The summaries merged with the deltas. kCorruption naming a damaged file; storage errors.
  core::Result<WalIndexSummary> ReadSummary();
  // The entries of one bucket of a timeline (bucket files and deltas), one per name.
  core::Result<std::vector<WalIndexEntry>> ReadBucket(uint32_t timeline, uint64_t bucket);
  // Every entry, one per name (restores and the prune rewrite: they read the whole archive).
  core::Result<std::vector<WalIndexEntry>> ReadAll();

  // Writes the entries as a new delta; durable when it returns. kUsage when the backend cannot
  // store the index (REST); storage errors.
  core::Status Append(const std::vector<WalIndexEntry>& entries);
  // Merges the deltas into buckets and a new summary when there are more than `max_deltas`,
  // under a shared repository lock (so a prune's rewrite never races it). A file that vanished
  // meanwhile (another writer merged it) or a lock held by a prune skips the merge: it is only
  // an optimisation. Errors: storage and corruption errors.
  core::Status Compact(size_t max_deltas = kMaxIndexDeltas);
  // Writes `entries` as the whole index (buckets, then the summary) and removes every file listed
  // by Open. The caller holds a lock that keeps prune away, or is prune.
  core::Status Replace(const std::vector<WalIndexEntry>& entries);

  size_t listed_files() const;
  size_t listed_deltas() const { return deltas_.size(); }

 private:
  explicit WalIndex(ArchiveIndexStore store) : store_(std::move(store)) {}
  core::Status List();
  core::Result<IndexFileContent> ReadFile(const std::string& name, IndexPart part);
  core::Status WriteFile(const std::string& name, const IndexFileContent& content);
  core::Result<std::vector<WalIndexEntry>> ReadDeltas();
  core::Status WriteBuckets(const std::vector<WalIndexEntry>& entries);
  std::string NewName(const std::string& middle) const;
  core::Status RemoveAll(const std::vector<std::string>& names);

  ArchiveIndexStore store_;  // the files' names, bytes and listing
  std::vector<std::string> summaries_;
  std::vector<std::string> deltas_;
  std::map<std::pair<uint32_t, uint64_t>, std::vector<std::string>> buckets_;
  std::optional<std::vector<WalIndexEntry>> delta_entries_;  // read once per Open
};

// Calls fn on a freshly opened index, again (up to a few times) when a file it listed vanished
// before it was read: another writer merged it into a file the next listing shows.
template <typename Fn>
auto WithIndex(repo::Repository& repo, const platform::Cluster& cluster, Fn fn)
    -> decltype(fn(std::declval<WalIndex&>())) {
  for (int attempt = 0;; ++attempt) {
    auto index = WalIndex::Open(repo, cluster);
    if (!index.ok()) {
      return index.TakeStatus();
    }
    auto result = fn(*index);
    if (result.ok() || result.status().code() != core::ErrorCode::kNotFound || attempt == 4) {
      return result;
    }
  }
}

}  // namespace hasteward::pitr
