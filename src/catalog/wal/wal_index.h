// catalog/wal/wal_index: one cluster's archive index in the repository (docs/pitr.md "The archive
// index"). Files, each the JSON of wal_index_format.h compressed and encrypted with the
// repository's key:
//   hasteward/archive-index/<key>-d-<id>.idx     a delta: the entries one wal-push stored, or the
//                                                base one native backup made
//   hasteward/archive-index/<key>-s-<id>.idx     a summary: runs, histories, other files, bases,
//                                                and the names of the bucket files
//   hasteward/archive-buckets/<key>-b-<timeline>-<bucket>-<id>.idx
//                                                a bucket: the merged entries of 256 segments
// where <key> names the cluster and <id> is random. Buckets live apart and are found through the
// summaries, never listed, so opening the index lists only summaries and deltas: a handful of
// files, whatever the archive's size. Writers only add files with new names, and a file is
// removed only by a writer that first wrote a file holding everything it held (a bucket names
// the bucket files it replaced), so readers take the union of what they list and two writers
// never lose each other's entries. The index is complete (exists()) once a summary exists: a build
// from the snapshots writes it last.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "catalog/wal/wal_index_format.h"
#include "core/status.h"
#include "platform/platform.h"
#include "repo/repository.h"
#include "storage/backend.h"

namespace hasteward::catalog {

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

  // True when a summary exists: every file a wal-push acknowledged is then in the index. False
  // too while bucket files of the version-1 layout (in hasteward/archive-index/) are listed: the
  // index is then rebuilt in this layout (Replace removes them).
  bool exists() const { return !summaries_.empty() && legacy_.empty(); }

  // The summaries merged with the deltas (read once per Open). kCorruption naming a damaged file
  // (a version-1 file among them); storage errors.
  core::Result<WalIndexSummary> ReadSummary();
  // The entries of one bucket of a timeline (its bucket files named by the summaries, and the
  // deltas), one per name. kNotFound when a named bucket file is gone and no bucket file read
  // says it replaced it (a merge that raced this read: open the index again).
  core::Result<std::vector<WalIndexEntry>> ReadBucket(uint32_t timeline, uint64_t bucket);
  // Every entry, one per name (restores and the prune rewrite: they read the whole archive).
  core::Result<std::vector<WalIndexEntry>> ReadAll();

  // Writes the entries and the base backups as a new delta; durable when it returns. kUsage when
  // the backend cannot store the index (REST); storage errors.
  core::Status Append(const std::vector<WalIndexEntry>& entries,
                      const std::vector<IndexedBase>& bases = {});
  // Merges the deltas into buckets and a new summary when there are more than `max_deltas`,
  // under a shared repository lock (so a prune's rewrite never races it). A file that vanished
  // meanwhile (another writer merged it) or a lock held by a prune skips the merge: it is only
  // an optimisation. Errors: storage and corruption errors.
  core::Status Compact(size_t max_deltas = kMaxIndexDeltas);
  // Writes `entries` and `bases` as the whole index (buckets, then the summary) and removes every
  // file listed by Open and every other bucket file of the cluster (listed here: the one listing
  // of the buckets, as a rebuild or prune reads the whole archive anyway). The caller holds a lock
  // that keeps prune away, or is prune.
  core::Status Replace(const std::vector<WalIndexEntry>& entries,
                       const std::vector<IndexedBase>& bases);

  // Files Open listed (summaries, deltas and version-1 buckets; buckets are never listed).
  size_t listed_files() const { return summaries_.size() + deltas_.size() + legacy_.size(); }
  size_t listed_deltas() const { return deltas_.size(); }

 private:
  WalIndex(repo::Repository& repo, std::string cluster, std::string key)
      : repo_(&repo), cluster_(std::move(cluster)), key_(std::move(key)) {}
  // What the listed deltas hold, read once per Open.
  struct Deltas {
    std::vector<WalIndexEntry> entries;
    std::vector<IndexedBase> bases;
    std::set<std::string> pushes;  // ids of the deltas that hold entries (one WAL snapshot each)
  };

  core::Status List();
  core::Result<IndexFileContent> ReadFile(const storage::Handle& handle, IndexPart part);
  core::Status WriteFile(const storage::Handle& handle, const IndexFileContent& content);
  core::Result<const Deltas*> ReadDeltas();
  core::Result<const WalIndexSummary*> Summary();
  // The ids of one bucket's files a merge replaces: those the summaries name (removed after the
  // merge) and those the named ones replaced in turn (gone already, or named by a summary of a
  // merge that raced: the new file says it replaces them all, so a reader never misses one).
  struct BucketFiles {
    std::set<std::string> named;
    std::set<std::string> superseded;
  };
  // The bucket files' entries (no deltas); `replaced` gets their ids.
  core::Result<std::vector<WalIndexEntry>> ReadBucketFiles(const BucketKey& key,
                                                           BucketFiles* replaced);
  core::Result<std::vector<WalIndexEntry>> ReadMergedBucket(const BucketKey& key,
                                                            BucketFiles* replaced);
  core::Result<std::map<BucketKey, std::string>> WriteBuckets(
      const std::vector<WalIndexEntry>& entries,
      const std::map<BucketKey, std::set<std::string>>& supersedes);
  storage::Handle IndexFile(const std::string& part, const std::string& id) const;
  storage::Handle BucketFile(const BucketKey& key, const std::string& id) const;
  core::Status RemoveAll(const std::vector<storage::Handle>& handles);
  core::Result<std::vector<storage::Handle>> MergeDeltas();

  repo::Repository* repo_;
  std::string cluster_;                 // "ns/name"
  std::string key_;                     // the name prefix of this cluster's files
  std::vector<std::string> summaries_;  // names in hasteward/archive-index/
  std::vector<std::string> deltas_;
  std::vector<std::string> legacy_;  // version-1 bucket files in hasteward/archive-index/
  std::optional<Deltas> deltas_read_;
  std::optional<WalIndexSummary> summary_;
};

// A new random file id: 16 hex digits.
std::string NewIndexFileId();

// The name prefix of a cluster's files in the archive index and the WAL stream store: a hash of
// its engine, namespace and name, not the names themselves (they may hold characters an object
// name cannot, and a listing of a shared repository then tells nobody which clusters it holds).
std::string ArchiveFileKey(const platform::Cluster& cluster);

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

}  // namespace hasteward::catalog
