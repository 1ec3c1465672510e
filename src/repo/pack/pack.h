#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/byte_stream.h"
#include "core/status.h"
#include "repo/crypto/crypto.h"

namespace hasteward::repo {

enum class BlobType : uint8_t { kData = 0, kTree = 1 };
const char* BlobTypeName(BlobType t);  // "data" / "tree"

// One blob's place in a pack (restic-format.md §4). uncompressed_length is 0 for blobs stored
// uncompressed.
struct PackedBlob {
  Id id{};
  BlobType type = BlobType::kData;
  uint32_t offset = 0;
  uint32_t length = 0;               // encrypted length in the pack
  uint32_t uncompressed_length = 0;  // plaintext length when compressed, else 0

  uint32_t PlaintextLength() const {
    return uncompressed_length != 0 ? uncompressed_length
                                    : length - static_cast<uint32_t>(kCryptoOverhead);
  }
};

// An encoded blob ready for a pack: encrypted (and compressed) bytes plus its header fields.
struct EncodedBlob {
  Id id{};
  BlobType type = BlobType::kData;
  core::Bytes data;
  uint32_t uncompressed_length = 0;
};

// Compresses (level > 0 or negative; `compress` false stores it raw) and encrypts a blob.
EncodedBlob EncodeBlob(const MasterKey& key, BlobType type, const Id& id, core::ByteView plaintext,
                       bool compress, int level);

// The same into caller-owned buffers (reused across calls on hot paths, so no page faults per
// blob): `out` receives the encrypted bytes; returns the uncompressed length for the header
// (0 when stored raw). `scratch` holds the compressed form.
uint32_t EncodeBlobInto(const MasterKey& key, core::ByteView plaintext, bool compress, int level,
                        core::Bytes* scratch, core::Bytes* out);

// Decrypts, decompresses and verifies SHA-256(plaintext) == blob.id. kCorruption names the blob.
core::Status DecodeBlob(const MasterKey& key, const PackedBlob& blob, core::ByteView stored,
                        core::Bytes* plaintext);
// The same into `plaintext`, whose size must be blob.PlaintextLength(): a restore decodes a run
// of blobs into one reused buffer, never growing (zeroing, page-faulting) one per blob.
core::Status DecodeBlobTo(const MasterKey& key, const PackedBlob& blob, core::ByteView stored,
                          std::span<uint8_t> plaintext);

// Builds one pack in memory. Not thread-safe; the packer manager serialises access.
class PackWriter {
 public:
  // `buffer` is recycled storage (its capacity is kept, its content dropped).
  explicit PackWriter(const MasterKey* key, core::Bytes buffer = {})
      : key_(key), data_(std::move(buffer)) {
    data_.clear();
  }

  void Add(EncodedBlob&& blob);
  void Add(const Id& id, BlobType type, core::ByteView encrypted, uint32_t uncompressed_length);
  size_t size() const { return data_.size(); }
  size_t count() const { return blobs_.size(); }
  // Size of the header once encrypted.
  size_t HeaderSize() const;

  struct Finished {
    Id id{};
    core::Bytes data;
    std::vector<PackedBlob> blobs;
  };
  // Appends the encrypted header and its length; the pack ID is the SHA-256 of the bytes.
  Finished Finish();

 private:
  const MasterKey* key_;
  core::Bytes data_;
  std::vector<PackedBlob> blobs_;
};

// Header size of a pack with these blobs, as `restic check` computes it from the index.
uint64_t PackSizeFromBlobs(const std::vector<PackedBlob>& blobs);

// Parses a pack's header given the pack's last bytes (`tail`, at least the header + 4 bytes, or
// the whole pack) and the pack's total size. kCorruption on any inconsistency.
core::Result<std::vector<PackedBlob>> ParsePackHeader(const MasterKey& key, core::ByteView tail,
                                                      uint64_t pack_size);

// Reads the header length trailer from the last 4 bytes.
uint32_t PackHeaderLength(core::ByteView last4);

}  // namespace hasteward::repo
