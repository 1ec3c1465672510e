// catalog/binlog/binlog_index_format: the records of the binlog piece index (binlog_index.h) and
// their JSON. A record says what one binlog snapshot holds: a piece's manifest entry with the
// stored file's size and content blobs (enough to read it back without the snapshot's tree), or a
// rewind, each with the snapshot's ID (prune removes a forgotten snapshot's records by it). Pure:
// no repository access.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/archive_index_store.h"
#include "catalog/binlog/binlog_catalog.h"
#include "core/status.h"
#include "repo/repository.h"

namespace hasteward::catalog {

struct BinlogIndexPiece {
  BinlogPiece piece;
  repo::Id snapshot{};
  uint64_t size = 0;  // the stored file's, end - start
  std::vector<repo::Id> content;
  // The stored file as the snapshot's tree holds it, for what a reader needs (name, size,
  // content).
  repo::Node Node() const;
};

struct BinlogIndexRewind {
  BinlogRewind rewind;
  repo::Id snapshot{};
};

struct BinlogIndexRecords {
  std::vector<BinlogIndexPiece> pieces;
  std::vector<BinlogIndexRewind> rewinds;
  void Append(BinlogIndexRecords other);
  bool empty() const { return pieces.empty() && rewinds.empty(); }
};

// One index file: a delta holds one snapshot's records (or a rebuild's), a bucket the pieces of
// the binlog files whose identity hashes to it, a summary the rewinds.
struct BinlogIndexFile {
  static constexpr int kVersion = 1;
  std::string cluster;  // "ns/name": a file is checked to be the cluster's it was listed for
  ArchiveIndexPart part = ArchiveIndexPart::kDelta;
  BinlogIndexRecords records;
};

std::string EncodeBinlogIndexFile(const BinlogIndexFile& file);
// kCorruption naming what is wrong: not JSON, another version, a missing or mistyped field.
core::Result<BinlogIndexFile> DecodeBinlogIndexFile(const std::string& json);

// The bucket of a binlog file: its identity key hashed to 16 hex digits, so every piece of one
// file merges into one bucket file, and a merge rewrites only the files a cycle touched.
std::string BinlogBucketOf(const BinlogFileIdentity& identity);

}  // namespace hasteward::catalog
