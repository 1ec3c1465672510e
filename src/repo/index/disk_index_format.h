// repo/index/disk_index_format: the layout of the on-disk blob index file, shared by its builder
// and its reader. Little-endian, fixed-size, so the reader finds a record by its position:
//
//   header (64 bytes) | records (count x 48, sorted by blob id, then type) |
//   fanout (65536 x u64: records whose id's first two bytes are <= i) | pack ids (packs x 32) |
//   the IDs of the index files it was built from, sorted (index_files x 32)
//
// The header's CRC-32C covers everything after the header; the sizes in the header must add up to
// the file's size. A file that fails either is rebuilt, never read.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>

#include "repo/crypto/crypto.h"
#include "repo/pack/pack.h"

namespace hasteward::repo {

inline constexpr std::array<char, 8> kDiskIndexMagic = {'H', 'S', 'B', 'L', 'O', 'B', 'I', '1'};
inline constexpr size_t kDiskIndexHeaderSize = 64;
inline constexpr size_t kDiskIndexFanout = 65536;
// The pack number's top bit is the blob type (set: tree), so a record is 48 bytes, not 52.
inline constexpr uint32_t kDiskIndexTreeBit = 0x80000000U;

struct DiskIndexHeader {
  std::array<char, 8> magic = kDiskIndexMagic;
  Id key{};  // SHA-256 of the sorted IDs of the index files the file was built from
  uint64_t records = 0;
  uint64_t packs = 0;
  uint32_t crc = 0;  // CRC-32C of every byte after the header
  uint32_t index_files = 0;
};
static_assert(sizeof(DiskIndexHeader) == kDiskIndexHeaderSize);

struct DiskIndexRecord {
  Id id{};
  uint32_t pack = 0;  // number in the pack table, | kDiskIndexTreeBit for a tree blob
  uint32_t offset = 0;
  uint32_t length = 0;
  uint32_t uncompressed_length = 0;

  BlobType type() const {
    return (pack & kDiskIndexTreeBit) != 0 ? BlobType::kTree : BlobType::kData;
  }
  uint32_t pack_number() const { return pack & ~kDiskIndexTreeBit; }
};
static_assert(sizeof(DiskIndexRecord) == 48);

// Order of records: blob id, then type; `pack` last so that a sort keeps the first listing of a
// blob first (pack numbers grow in the order index files are read).
inline int CompareRecordKey(const DiskIndexRecord& a, const Id& id, BlobType type) {
  int c = std::memcmp(a.id.data(), id.data(), id.size());
  if (c != 0) {
    return c;
  }
  return static_cast<int>(a.type()) - static_cast<int>(type);
}

inline bool RecordLess(const DiskIndexRecord& a, const DiskIndexRecord& b) {
  int c = CompareRecordKey(a, b.id, b.type());
  return c != 0 ? c < 0 : a.pack < b.pack;
}

// The fanout bucket of an id: its first two bytes.
inline size_t FanoutBucket(const Id& id) {
  return (static_cast<size_t>(id[0]) << 8) | id[1];
}

// The number of the record of (id, type) among records [low, high) of a sorted record area, by
// binary search; nullopt when none matches.
inline std::optional<uint64_t> FindRecordIn(const uint8_t* records, uint64_t low, uint64_t high,
                                            const Id& id, BlobType type) {
  while (low < high) {
    const uint64_t mid = low + (high - low) / 2;
    DiskIndexRecord record;
    std::memcpy(&record, records + mid * sizeof(DiskIndexRecord), sizeof(record));
    const int c = CompareRecordKey(record, id, type);
    if (c == 0) {
      return mid;
    }
    if (c < 0) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return std::nullopt;
}

}  // namespace hasteward::repo
