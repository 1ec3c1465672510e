// pitr/wal/wal_index_format: the records of the archive index (docs/pitr.md "The archive index")
// and their JSON. An entry says what one wal-push stored for one file: enough to answer "is it
// archived, with which bytes" and to read it back without the repository's pack index. A summary
// says what status and planning need, in a size that grows with gaps and timelines, not segments.
// Pure: no repository, no engine.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/archiving.h"
#include "pitr/archive_index_store.h"
#include "pitr/wal/wal_chain.h"
#include "repo/crypto/crypto.h"
#include "repo/format/go_json.h"

namespace hasteward::pitr {

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

// What status and planning read: the runs of whole segments per timeline, the history files (whole
// entries: few, and planning reads each), and the names of other files (.partial, .backup).
// Merging is idempotent, so a reader may union summaries and deltas that overlap.
struct WalIndexSummary {
  std::map<uint32_t, SegmentRuns> runs;
  std::map<std::string, WalIndexEntry> histories;
  std::set<std::string> others;

  void Add(const WalIndexEntry& entry);
  void Merge(const WalIndexSummary& other);
  // Archived files: the runs' segments, the histories and the others.
  size_t files() const;
};

// The three kinds of index file: a delta one push appends, a bucket's merged entries, a summary.
using IndexPart = ArchiveIndexPart;

struct IndexFileContent {
  static constexpr int kVersion = 1;
  std::string cluster;  // "ns/name": a file is checked to be the cluster's it was listed for
  IndexPart part = IndexPart::kDelta;
  std::vector<WalIndexEntry> entries;  // deltas and buckets
  WalIndexSummary summary;             // summaries
};

std::string EncodeIndexFile(const IndexFileContent& content);
// kCorruption naming what is wrong: not JSON, another version, a missing or mistyped field.
core::Result<IndexFileContent> DecodeIndexFile(const std::string& json);

}  // namespace hasteward::pitr
