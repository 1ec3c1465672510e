#include "repo/pack/pack.h"

#include <cstring>

#include "repo/compress/zstd_codec.h"

namespace hasteward::repo {

namespace {

constexpr size_t kEntrySizePlain = 37;
constexpr size_t kEntrySizeCompressed = 41;
constexpr uint32_t kMaxHeaderSize = 16 * 1024 * 1024 + 4;

void PutU32(core::Bytes* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out->push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}

uint32_t GetU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

size_t EntrySize(const PackedBlob& b) {
  return b.uncompressed_length != 0 ? kEntrySizeCompressed : kEntrySizePlain;
}

}  // namespace

const char* BlobTypeName(BlobType t) {
  return t == BlobType::kTree ? "tree" : "data";
}

uint32_t EncodeBlobInto(const MasterKey& key, core::ByteView plaintext, bool compress, int level,
                        core::Bytes* scratch, core::Bytes* out) {
  out->clear();
  // restic never compresses an empty blob: a zero uncompressed length means "stored raw".
  if (compress && !plaintext.empty()) {
    scratch->clear();
    ZstdCompressAppend(plaintext, level, scratch);
    EncryptAppend(key, *scratch, out);
    return static_cast<uint32_t>(plaintext.size());
  }
  EncryptAppend(key, plaintext, out);
  return 0;
}

EncodedBlob EncodeBlob(const MasterKey& key, BlobType type, const Id& id, core::ByteView plaintext,
                       bool compress, int level) {
  EncodedBlob blob;
  blob.id = id;
  blob.type = type;
  core::Bytes scratch;
  blob.uncompressed_length = EncodeBlobInto(key, plaintext, compress, level, &scratch, &blob.data);
  return blob;
}

core::Status DecodeBlobTo(const MasterKey& key, const PackedBlob& blob, core::ByteView stored,
                          std::span<uint8_t> plaintext) {
  auto name = [&blob] {
    return std::string(BlobTypeName(blob.type)) + " blob '" + IdToHex(blob.id) + "'";
  };
  if (plaintext.size() != blob.PlaintextLength()) {
    return core::Corruption(name() + ": the index records " +
                            std::to_string(blob.PlaintextLength()) + " bytes, not " +
                            std::to_string(plaintext.size()));
  }
  core::Status s;
  if (blob.uncompressed_length != 0) {
    thread_local core::Bytes decrypted;  // reused: no page faults per blob
    s = DecryptInto(key, stored, &decrypted);
    if (s.ok()) {
      s = ZstdDecompressTo(decrypted, plaintext);
    }
  } else {
    s = DecryptTo(key, stored, plaintext);
  }
  if (!s.ok()) {
    return s.Wrap(name());
  }
  if (Sha256(plaintext) != blob.id) {
    return core::Corruption(name() + ": content does not match its id");
  }
  return core::Status::Ok();
}

core::Status DecodeBlob(const MasterKey& key, const PackedBlob& blob, core::ByteView stored,
                        core::Bytes* plaintext) {
  auto name = [&blob] {
    return std::string(BlobTypeName(blob.type)) + " blob '" + IdToHex(blob.id) + "'";
  };
  thread_local core::Bytes decrypted;  // reused: no page faults per blob on restore and check
  core::Status s = DecryptInto(key, stored, blob.uncompressed_length ? &decrypted : plaintext);
  if (!s.ok()) {
    return s.Wrap(name());
  }
  if (blob.uncompressed_length != 0) {
    s = ZstdDecompress(decrypted, blob.uncompressed_length, plaintext);
    if (!s.ok()) {
      return s.Wrap(name());
    }
  }
  if (Sha256(*plaintext) != blob.id) {
    return core::Corruption(name() + ": content does not match its id");
  }
  return core::Status::Ok();
}

void PackWriter::Add(EncodedBlob&& blob) {
  Add(blob.id, blob.type, blob.data, blob.uncompressed_length);
}

void PackWriter::Add(const Id& id, BlobType type, core::ByteView encrypted,
                     uint32_t uncompressed_length) {
  PackedBlob pb;
  pb.id = id;
  pb.type = type;
  pb.offset = static_cast<uint32_t>(data_.size());
  pb.length = static_cast<uint32_t>(encrypted.size());
  pb.uncompressed_length = uncompressed_length;
  data_.insert(data_.end(), encrypted.begin(), encrypted.end());
  blobs_.push_back(pb);
}

size_t PackWriter::HeaderSize() const {
  size_t n = kCryptoOverhead;
  for (const auto& b : blobs_) {
    n += EntrySize(b);
  }
  return n;
}

PackWriter::Finished PackWriter::Finish() {
  core::Bytes header;
  header.reserve(HeaderSize());
  for (const auto& b : blobs_) {
    bool compressed = b.uncompressed_length != 0;
    header.push_back(static_cast<uint8_t>(static_cast<uint8_t>(b.type) + (compressed ? 2 : 0)));
    PutU32(&header, b.length);
    if (compressed) {
      PutU32(&header, b.uncompressed_length);
    }
    header.insert(header.end(), b.id.begin(), b.id.end());
  }
  size_t before = data_.size();
  EncryptAppend(*key_, header, &data_);
  PutU32(&data_, static_cast<uint32_t>(data_.size() - before));
  Finished f;
  f.id = Sha256(data_);
  f.data = std::move(data_);
  f.blobs = std::move(blobs_);
  data_ = {};
  blobs_ = {};
  return f;
}

uint64_t PackSizeFromBlobs(const std::vector<PackedBlob>& blobs) {
  uint64_t size = kCryptoOverhead + 4;
  for (const auto& b : blobs) {
    size += b.length + EntrySize(b);
  }
  return size;
}

uint32_t PackHeaderLength(core::ByteView last4) {
  return GetU32(last4.data());
}

core::Result<std::vector<PackedBlob>> ParsePackHeader(const MasterKey& key, core::ByteView tail,
                                                      uint64_t pack_size) {
  if (tail.size() < 4 || pack_size < 4 || tail.size() > pack_size) {
    return core::Corruption("pack is too short");
  }
  uint32_t hlen = GetU32(tail.data() + tail.size() - 4);
  if (hlen < kCryptoOverhead || hlen > kMaxHeaderSize || hlen > pack_size - 4) {
    return core::Corruption("pack header length " + std::to_string(hlen) + " is invalid");
  }
  if (hlen + 4 > tail.size()) {
    return core::Corruption("pack header not fully loaded");
  }
  core::ByteView enc = tail.subspan(tail.size() - 4 - hlen, hlen);
  HS_ASSIGN_OR_RETURN(core::Bytes header, Decrypt(key, enc));
  std::vector<PackedBlob> blobs;
  uint64_t offset = 0;
  uint64_t data_end = pack_size - 4 - hlen;
  for (size_t p = 0; p < header.size();) {
    uint8_t type = header[p];
    size_t entry = type >= 2 ? kEntrySizeCompressed : kEntrySizePlain;
    if (type > 3 || p + entry > header.size()) {
      return core::Corruption("pack header entry " + std::to_string(blobs.size()) + " is invalid");
    }
    PackedBlob b;
    b.type = (type & 1) ? BlobType::kTree : BlobType::kData;
    b.length = GetU32(&header[p + 1]);
    b.uncompressed_length = type >= 2 ? GetU32(&header[p + 5]) : 0;
    std::memcpy(b.id.data(), &header[p + entry - 32], 32);
    b.offset = static_cast<uint32_t>(offset);
    offset += b.length;
    if (b.length < kCryptoOverhead || offset > data_end) {
      return core::Corruption("pack header entry " + std::to_string(blobs.size()) +
                              " points beyond the pack data");
    }
    blobs.push_back(b);
    p += entry;
  }
  if (blobs.empty()) {
    return core::Corruption("pack header lists no blobs");
  }
  return blobs;
}

}  // namespace hasteward::repo
