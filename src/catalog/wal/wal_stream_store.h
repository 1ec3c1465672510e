// catalog/wal/wal_stream_store: what a synchronous WAL receiver (pitr/wal/wal_receiver.h) made
// durable of a segment before the segment was whole. Each write is one piece: the bytes
// [start, end) of one segment of one timeline, compressed and encrypted with the repository's key,
// in hasteward/wal-stream/<key>-<timeline>-<segment>-<start>-<end>-<id>.piece, where <key> names
// the cluster as the archive index does. A segment's pieces, read in order from its start, give
// the segment as far as the receiver acknowledged it: what a restore replays when the site was
// lost before the segment was whole. Once the whole segment is archived as an ordinary WAL
// snapshot, its pieces are removed; a segment's pieces are also merged into one when they become
// many, so the number of files stays bounded by a few per segment in flight.
//
// Pieces never change: a receiver that restarts writes new pieces from where the stored ones end.
// Two pieces that overlap must hold the same bytes there; reading refuses anything else as
// corruption (another server under this cluster's name, or a damaged store).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/byte_stream.h"
#include "core/status.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::catalog {

// The identity of a stored piece, from its file name.
struct WalPiece {
  uint32_t timeline = 0;
  uint64_t segment = 0;
  uint32_t start = 0;  // byte offsets inside the segment
  uint32_t end = 0;
  std::string file;  // the object name
};

// Whose a piece is: checked on every read (the name's key is only a hash).
struct WalStreamOwner {
  std::string cluster;    // "<ns>/<name>"
  std::string system_id;  // the server's system identifier ("" when unknown)
};

// A segment as the pieces give it: the contiguous bytes from its start, zero-filled to the
// segment's size (as PostgreSQL leaves a partial segment: replay ends at the first empty page).
struct StreamedSegment {
  uint32_t timeline = 0;
  uint64_t segment = 0;
  uint32_t durable_end = 0;  // bytes the pieces cover from the start, without a hole
  core::Bytes bytes;         // segment_bytes long
};

// How far a segment's pieces reach from its start without a hole, by their names alone (the
// bytes are not read: Read checks them).
uint32_t ContiguousEnd(const std::vector<WalPiece>& pieces);

class WalStreamStore {
 public:
  // Lists the cluster's pieces (one listing of hasteward/wal-stream/). Storage errors.
  static core::Result<WalStreamStore> Open(repo::Repository& repo,
                                           const platform::Cluster& cluster);

  // The listed pieces of one segment, in start order (a copy: the store may change meanwhile).
  std::vector<WalPiece> Pieces(uint32_t timeline, uint64_t segment) const;
  // The (timeline, segment) pairs that have pieces, oldest first.
  std::vector<std::pair<uint32_t, uint64_t>> Segments() const;

  // Stores bytes [start, start + data.size()) of `segment` on `timeline`: durable when it returns
  // (the backend's Save). The piece joins the listing. Safe beside Remove on another thread.
  core::Result<WalPiece> Write(uint32_t timeline, uint64_t segment, uint32_t start,
                               core::ByteView data, const std::string& system_id);

  // Reads a listed segment's pieces. kCorruption when a piece cannot be decrypted, belongs to
  // another cluster or server, or overlaps another with other bytes; kNotFound when it has no
  // pieces. `segment_bytes` is the segment size (16 MiB).
  core::Result<StreamedSegment> Read(uint32_t timeline, uint64_t segment, uint64_t segment_bytes,
                                     const std::string& system_id = "");

  // Removes a segment's listed pieces (after the whole segment was archived, or after Merge wrote
  // the one that replaces them). A piece already gone is fine.
  core::Status Remove(const std::vector<WalPiece>& pieces);

  // Replaces a segment's pieces by one holding what they hold from the start: written first, the
  // others removed after, so a reader at any moment sees the bytes. Returns the pieces removed.
  core::Result<size_t> Merge(uint32_t timeline, uint64_t segment, uint64_t segment_bytes,
                             const std::string& system_id);

 private:
  WalStreamStore(repo::Repository& repo, WalStreamOwner owner, std::string key)
      : repo_(&repo),
        owner_(std::move(owner)),
        key_(std::move(key)),
        mu_(std::make_unique<std::mutex>()) {}
  core::Result<core::Bytes> ReadPiece(const WalPiece& piece, const std::string& system_id);

  repo::Repository* repo_;
  WalStreamOwner owner_;
  std::string key_;
  std::unique_ptr<std::mutex> mu_;  // guards segments_ (the receiver writes and removes apart)
  std::map<std::pair<uint32_t, uint64_t>, std::vector<WalPiece>> segments_;
};

}  // namespace hasteward::catalog
