#include "catalog/stream_piece.h"

#include <cstring>

#include "repo/compress/zstd_codec.h"

namespace hasteward::catalog {

namespace {

// Fast: a piece is written while a commit waits for it.
constexpr int kZstdLevel = 1;
constexpr size_t kPrefixBytes = 8;  // the magic and the header's length

}  // namespace

core::Bytes SealStreamPiece(const repo::MasterKey& key, const StreamPieceMagic& magic,
                            const nlohmann::json& header, core::ByteView data) {
  const std::string text = header.dump();
  core::Bytes plain(magic.begin(), magic.end());
  const auto length = static_cast<uint32_t>(text.size());
  for (int shift = 0; shift < 32; shift += 8) {
    plain.push_back(static_cast<uint8_t>(length >> shift));
  }
  plain.insert(plain.end(), text.begin(), text.end());
  plain.insert(plain.end(), data.begin(), data.end());
  core::Bytes compressed;
  repo::ZstdCompressAppend(plain, kZstdLevel, &compressed);
  return repo::Encrypt(key, compressed);
}

std::optional<OpenedStreamPiece> OpenStreamPiece(const repo::MasterKey& key,
                                                 const StreamPieceMagic& magic,
                                                 const core::Bytes& stored) {
  auto compressed = repo::Decrypt(key, stored);
  core::Bytes plain;
  if (!compressed.ok() || !repo::ZstdDecompress(*compressed, 0, &plain).ok() ||
      plain.size() < kPrefixBytes || std::memcmp(plain.data(), magic.data(), magic.size()) != 0) {
    return std::nullopt;
  }
  uint32_t length = 0;
  for (int i = 0; i < 4; ++i) {
    length |= static_cast<uint32_t>(plain[4 + i]) << (8 * i);
  }
  if (plain.size() < kPrefixBytes + size_t{length}) {
    return std::nullopt;
  }
  const auto header_begin = plain.begin() + kPrefixBytes;
  auto header = nlohmann::json::parse(header_begin, header_begin + length, nullptr, false);
  if (!header.is_object()) {
    return std::nullopt;
  }
  return OpenedStreamPiece{std::move(header), core::Bytes(header_begin + length, plain.end())};
}

}  // namespace hasteward::catalog
