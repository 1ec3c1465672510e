// catalog/binlog/binlog_index: one cluster's binlog piece index in the repository, beside the WAL
// index under hasteward/archive-index/ but with its own key (archive_index_store.h), so neither
// lists the other's files (docs/pitr.md "The binlog piece index"). Files, each the JSON of
// binlog_index_format.h:
//   <key>-d-<random>.idx          a delta: the records of one archiver cycle's snapshot (or a
//   rewind) <key>-b-<bucket>-<random>.idx a bucket: the merged pieces of the binlog files hashing
//   to it <key>-s-<random>.idx          a summary: the rewinds; its presence marks the index
//   complete
// Writers only add files with new names, and a file is removed only by a writer that first wrote
// a file holding everything it held, so readers take the union of what they list.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "catalog/archive_index_store.h"
#include "catalog/binlog/binlog_index_format.h"
#include "core/status.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::catalog {

// More deltas than this and the writer that sees them merges them into buckets and the summary:
// a reader then reads at most this many small deltas besides one bucket per binlog file.
constexpr size_t kMaxBinlogIndexDeltas = 16;

class BinlogIndex {
 public:
  // Lists the cluster's binlog index files (names only). Errors: the listing's.
  static core::Result<BinlogIndex> Open(repo::Repository& repo, const platform::Cluster& cluster);

  // True when a summary exists: every snapshot an archiver committed is then in the index.
  bool exists() const { return !summaries_.empty(); }

  // Every record of every listed file, one per (piece, snapshot) and per (rewind, snapshot).
  // kCorruption naming a damaged file; kNotFound when a file vanished (merged meanwhile).
  core::Result<BinlogIndexRecords> ReadAll() { return ReadListed(nullptr); }
  // The records of the listed files whose names are not in `read`, whose names are then added:
  // an archiver that keeps its catalog reads only what others wrote since. Errors as ReadAll.
  core::Result<BinlogIndexRecords> ReadUnread(std::set<std::string>* read) {
    return ReadListed(read);
  }

  // Writes the records as a new delta; durable when it returns. kUsage when the backend cannot
  // store the index (REST); storage errors.
  core::Status Append(const BinlogIndexRecords& records);
  // Merges the deltas into their buckets and a new summary when there are more than
  // `max_deltas`, under a shared repository lock (a prune's rewrite never races it). A file that
  // vanished meanwhile or a lock held by a prune skips the merge: it is only an optimisation.
  core::Status Compact(size_t max_deltas = kMaxBinlogIndexDeltas);
  // Writes `records` as the whole index (buckets, then the summary) and removes every file
  // listed by Open. The caller holds a lock that keeps prune away, or is prune.
  core::Status Replace(const BinlogIndexRecords& records);

  size_t listed_deltas() const { return deltas_.size(); }
  size_t listed_files() const;

 private:
  explicit BinlogIndex(ArchiveIndexStore store) : store_(std::move(store)) {}
  core::Status List();
  core::Result<BinlogIndexRecords> ReadFile(const std::string& name, ArchiveIndexPart part);
  core::Status WriteFile(const std::string& name, ArchiveIndexPart part,
                         const BinlogIndexRecords& records);
  core::Result<BinlogIndexRecords> ReadListed(std::set<std::string>* read);
  core::Status WriteBucketsAndSummary(const BinlogIndexRecords& records);

  ArchiveIndexStore store_;
  std::vector<std::string> summaries_;
  std::vector<std::string> deltas_;
  std::map<std::string, std::vector<std::string>> buckets_;  // by bucket (BinlogBucketOf)
};

// One record per (piece name, snapshot) and per (rewind, snapshot): files that overlap (a merge
// interrupted after writing its result) are read once.
BinlogIndexRecords UniqueRecords(BinlogIndexRecords records);

}  // namespace hasteward::catalog
