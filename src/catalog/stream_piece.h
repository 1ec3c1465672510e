// catalog/stream_piece: the file format of a receiver's piece (hasteward/wal-stream/), shared by
// PostgreSQL's WAL pieces (catalog/wal/wal_stream_store.h) and MariaDB's binlog pieces
// (catalog/binlog/binlog_stream_store.h): a 4-byte magic naming the kind, the length of a JSON
// header (4 bytes, little-endian), the header (whose piece it is), then the bytes; compressed
// (zstd, fast: a commit waits for the write) and encrypted with the repository's key.
#pragma once

#include <array>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/byte_stream.h"
#include "repo/crypto/crypto.h"

namespace hasteward::catalog {

using StreamPieceMagic = std::array<char, 4>;

// The stored form of a piece.
core::Bytes SealStreamPiece(const repo::MasterKey& key, const StreamPieceMagic& magic,
                            const nlohmann::json& header, core::ByteView data);

struct OpenedStreamPiece {
  nlohmann::json header;  // an object
  core::Bytes data;
};

// The header and bytes of a stored piece; nullopt when it cannot be decrypted, is of another
// kind, is cut short or its header is no JSON object (the caller names the file: corruption).
std::optional<OpenedStreamPiece> OpenStreamPiece(const repo::MasterKey& key,
                                                 const StreamPieceMagic& magic,
                                                 const core::Bytes& stored);

}  // namespace hasteward::catalog
