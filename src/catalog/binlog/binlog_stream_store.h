// catalog/binlog/binlog_stream_store: what the semi-synchronous binlog receiver
// (pitr/binlog/binlog_receiver.h) made durable before it became part of a binlog snapshot. Each
// write is one piece, exactly as the archive's (BinlogPiece: a run of whole transactions of one
// file), compressed and encrypted with the repository's key, in
// hasteward/wal-stream/<key>-mb-<stamp>-<start>-<id>.piece beside the WAL receiver's pieces (<key>
// names the cluster as the archive index does; "mb" never parses as a WAL piece). One object per
// write: a commit waits for one repository round trip, not for a snapshot's several.
//
// Readers see the archive and the stream as one (LoadBinlogCatalogWithStream): the streamed
// pieces that continue an archived file (or start one) are added to the catalog with their
// bytes, so a restore, a DR activation and `pitr status` reach the last acknowledged commit. The
// receiver moves its pieces into ordinary binlog snapshots in the background and removes them;
// pieces a snapshot already holds are skipped, and one it holds in part is trimmed (a file's
// bytes at an offset are the same whoever stored them).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/binlog/binlog_catalog.h"
#include "core/status.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::catalog {

struct StreamedBinlogPiece {
  BinlogPiece piece;
  std::string object;  // the stored file's name
  std::string bytes;   // the piece's bytes (when read)
};

class BinlogStreamStore {
 public:
  // Lists the cluster's pieces by name (one listing; nothing is read). REST repositories never
  // hold any. Storage errors.
  static core::Result<BinlogStreamStore> Open(repo::Repository& repo,
                                              const platform::Cluster& cluster);

  // The listed objects, oldest stamp first (a copy: Write and Remove may run on other threads).
  std::vector<std::string> objects() const;

  // Reads every listed piece, in stamp order. kCorruption when one cannot be decrypted, belongs
  // to another cluster, or holds other bytes than it says.
  core::Result<std::vector<StreamedBinlogPiece>> ReadAll() const;

  // Stores `piece` with its bytes: durable when it returns (the backend's Save). The object joins
  // the listing.
  core::Result<StreamedBinlogPiece> Write(const BinlogPiece& piece, const std::string& bytes);

  // Removes stored pieces (after a snapshot holds them). One already gone is fine.
  core::Status Remove(const std::vector<std::string>& objects);

 private:
  BinlogStreamStore(repo::Repository& repo, std::string cluster, std::string key)
      : repo_(&repo),
        cluster_(std::move(cluster)),
        key_(std::move(key)),
        mu_(std::make_unique<std::mutex>()) {}
  core::Result<StreamedBinlogPiece> ReadPiece(const std::string& object) const;

  repo::Repository* repo_;
  std::string cluster_;  // "<ns>/<name>", checked on every read (the key is only a hash)
  std::string key_;
  std::unique_ptr<std::mutex>
      mu_;  // guards objects_ (the receiver writes, its consolidator removes)
  std::vector<std::string> objects_;
};

// Adds to `catalog` the streamed pieces that continue what it holds (StreamedBinlogPiece bytes
// kept in the catalog: BinlogCatalog::StreamedBytesOf). Returns how many were added.
core::Result<size_t> AddStreamedPieces(BinlogCatalog& catalog,
                                       const std::vector<StreamedBinlogPiece>& streamed);

// The binlog archive as restores read it: BinlogCatalog::Load plus the streamed tail.
core::Result<BinlogCatalog> LoadBinlogCatalogWithStream(repo::Repository& repo,
                                                        const platform::Cluster& cluster);

}  // namespace hasteward::catalog
