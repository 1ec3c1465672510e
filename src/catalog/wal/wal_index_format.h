// catalog/wal/wal_index_format: the records of the archive index (docs/pitr.md "The archive index")
// and their JSON. An entry says what one wal-push stored for one file: enough to answer "is it
// archived, with which bytes" and to read it back without the repository's pack index. A summary
// says what status and planning need, in a size that grows with gaps and timelines, not segments.
// Pure: no repository, no engine.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "catalog/wal/wal_chain.h"
#include "core/status.h"
#include "engine/archiving.h"
#include "repo/crypto/crypto.h"
#include "repo/format/go_json.h"

namespace hasteward::catalog {

// One content blob of an archived file and where the push stored it. The position is a hint: a
// repack moves blobs, so a reader checks the bytes against `id` and falls back to the pack index.
struct IndexedBlob {
  repo::Id id{};
  repo::Id pack{};
  uint32_t offset = 0;
  uint32_t length = 0;               // encrypted length in the pack
  uint32_t uncompressed_length = 0;  // 0: stored uncompressed
};

struct WalIndexEntry {
  std::string name;  // the server's %f
  engine::ArchiveFileKind kind = engine::ArchiveFileKind::kSegment;
  uint32_t timeline = 0;
  uint64_t segment = 0;
  uint64_t size = 0;
  repo::GoTime mtime;  // the server's last write to the file
  // SHA-256 (hex) of the whole file, which a re-push compares with; empty for an entry rebuilt
  // from the snapshots (their trees do not hold it), which a re-push compares byte by byte.
  std::string sha256;
  repo::Id snapshot{};  // the WAL snapshot holding the file
  std::vector<IndexedBlob> content;
};

// Which of a timeline's segments share one bucket file: 256, one "log file" of 16 MiB segments
// (a segment name's middle 8 hex digits), so a fetch reads one small part.
constexpr uint64_t kSegmentsPerBucket = 256;
inline uint64_t BucketOf(uint64_t segment) {
  return segment / kSegmentsPerBucket;
}

// A native base backup usable for point-in-time recovery, as `pitr status` needs it without
// reading the snapshot: its id and time, the timeline, and where replay starts and where the base
// is consistent (engine positions, e.g. PostgreSQL LSNs as integers).
struct IndexedBase {
  repo::Id snapshot{};
  repo::GoTime time;  // the snapshot's time (the backup job's start)
  uint32_t timeline = 0;
  uint64_t start = 0;
  uint64_t stop = 0;
};

// (timeline, bucket number): which bucket file a segment's entry is merged into.
using BucketKey = std::pair<uint32_t, uint64_t>;

// What status and planning read: the runs of whole segments per timeline, the history files (whole
// entries: few, and planning reads each), the names of other files (.partial, .backup), the base
// backups, and which bucket files hold the merged entries (so no reader lists them). Merging is
// idempotent, so a reader may union summaries and deltas that overlap.
struct WalIndexSummary {
  std::map<uint32_t, SegmentRuns> runs;
  std::map<std::string, WalIndexEntry> histories;
  std::set<std::string> others;
  std::map<repo::Id, IndexedBase> bases;
  // Per bucket, the random parts of the names of the bucket files holding its entries (more than
  // one only while two merges raced, until the next merge).
  std::map<BucketKey, std::set<std::string>> buckets;
  // WAL snapshots holding the archived files: exact after a build from the snapshots; a merge adds
  // one per merged delta that held entries (a push's). Union takes the largest.
  uint64_t wal_snapshots = 0;
  // The ids of the deltas the last merge counted into wal_snapshots: a delta it could not remove
  // (a crash between) is not counted again.
  std::set<std::string> merged_deltas;

  void Add(const WalIndexEntry& entry);
  void Merge(const WalIndexSummary& other);
  // Archived files: the runs' segments, the histories and the others.
  size_t files() const;
};

// The three kinds of index file: a delta one push (or one base backup) appends, a bucket's merged
// entries, a summary.
enum class IndexPart { kDelta, kBucket, kSummary };

struct IndexFileContent {
  // 2: bases, bucket names in the summary, buckets in hasteward/archive-buckets/. A version-1 file
  // is refused like a damaged one, so the index is rebuilt in the new layout.
  static constexpr int kVersion = 2;
  std::string cluster;  // "ns/name": a file is checked to be the cluster's it was listed for
  IndexPart part = IndexPart::kDelta;
  std::vector<WalIndexEntry> entries;  // deltas and buckets
  std::vector<IndexedBase> bases;      // deltas: the base backups they record
  // Buckets: the random parts of the bucket files of the same bucket whose entries this one holds
  // (the merge that wrote it read them), so a reader that finds one of them removed knows why.
  std::set<std::string> supersedes;
  WalIndexSummary summary;  // summaries
};

std::string EncodeIndexFile(const IndexFileContent& content);
// kCorruption naming what is wrong: not JSON, another version, a missing or mistyped field.
core::Result<IndexFileContent> DecodeIndexFile(const std::string& json);

}  // namespace hasteward::catalog
