// Crafted PostgreSQL 15 WAL for tests of WAL readers: records laid out in pages and segments as
// the server lays them (page headers, continuation flags and lengths, MAXALIGN, prev-links and
// CRC-32C), with block references built by WalPayload.
//
//   WalBytesBuilder wal(/*first segment*/ 0x3000000);
//   uint64_t at = wal.Append(kRmHeap, 0x00, WalPayload().Block(0, rel, 7).MainData("x").Bytes());
//   std::string segment = wal.Segment(0x3000000);
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "core/crc32c.h"
#include "engine/postgres/wal_block_refs.h"

namespace hasteward::engine::postgres::testing {

inline constexpr uint32_t kTestSegmentBytes = 1u << 20;  // the smallest size initdb allows

template <typename T>
void PutWal(std::string& out, T value) {
  char raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  out.append(raw, sizeof(T));
}

// The bytes after a record's header: block reference headers, the main data header, then the
// block data and the main data.
class WalPayload {
 public:
  // A block reference; `same_rel` leaves the relation out (the one before it).
  WalPayload& Block(uint8_t id, const RelationFork& fork, uint32_t block, std::string data = "d",
                    bool same_rel = false) {
    uint8_t flags = static_cast<uint8_t>(fork.fork);
    if (!data.empty())
      flags |= 0x20;
    if (same_rel)
      flags |= 0x80;
    headers_.push_back(static_cast<char>(id));
    headers_.push_back(static_cast<char>(flags));
    PutWal<uint16_t>(headers_, static_cast<uint16_t>(data.size()));
    if (!same_rel) {
      PutWal(headers_, fork.tablespace);
      PutWal(headers_, fork.database);
      PutWal(headers_, fork.relfilenode);
    }
    PutWal(headers_, block);
    data_ += data;
    return *this;
  }
  // A block reference with a full-page image of `image_bytes` bytes around a hole; a compressed
  // image stores the hole's length too.
  WalPayload& BlockWithImage(uint8_t id, const RelationFork& fork, uint32_t block,
                             uint16_t image_bytes, bool compressed = false) {
    headers_.push_back(static_cast<char>(id));
    headers_.push_back(static_cast<char>(static_cast<uint8_t>(fork.fork) | 0x10));
    PutWal<uint16_t>(headers_, 0);
    PutWal<uint16_t>(headers_, image_bytes);
    PutWal<uint16_t>(headers_, 64);                              // hole offset
    headers_.push_back(compressed ? 0x01 | 0x04 : 0x01 | 0x02);  // hole; pglz or apply
    if (compressed)
      PutWal<uint16_t>(headers_, 3000);  // hole length
    PutWal(headers_, fork.tablespace);
    PutWal(headers_, fork.database);
    PutWal(headers_, fork.relfilenode);
    PutWal(headers_, block);
    data_ += std::string(image_bytes, 'i');
    return *this;
  }
  WalPayload& MainData(std::string data) {
    main_ = std::move(data);
    return *this;
  }
  std::string Bytes() const {
    std::string out = headers_;
    if (main_.size() > 255) {
      out.push_back(static_cast<char>(254));
      PutWal<uint32_t>(out, static_cast<uint32_t>(main_.size()));
    } else if (!main_.empty()) {
      out.push_back(static_cast<char>(255));
      out.push_back(static_cast<char>(main_.size()));
    }
    return out + data_ + main_;
  }

 private:
  std::string headers_;
  std::string data_;
  std::string main_;
};

// WAL from the start of a segment on, as one string of whole segments.
class WalBytesBuilder {
 public:
  explicit WalBytesBuilder(uint64_t first_segment_lsn, uint32_t segment_bytes = kTestSegmentBytes)
      : start_(first_segment_lsn), segment_bytes_(segment_bytes), pos_(first_segment_lsn) {}

  // Appends a record; returns its LSN.
  uint64_t Append(uint8_t rmid, uint8_t info, const std::string& payload) {
    const std::string record = Record(rmid, info, payload);
    const uint64_t lsn = StartRecord();
    Write(record, record.size());
    prev_ = lsn;
    pos_ = (pos_ + 7) & ~uint64_t{7};
    return lsn;
  }
  // An XLOG_SWITCH record: the next record starts in the next segment.
  uint64_t AppendSwitch() {
    const uint64_t lsn = Append(0, 0x40, "");
    pos_ = (pos_ + segment_bytes_ - 1) / segment_bytes_ * segment_bytes_;
    return lsn;
  }
  // A record of which only the part up to its first page's end reached disk: the next page is
  // flagged XLP_FIRST_IS_OVERWRITE_CONTRECORD and the WAL goes on there (after a crash).
  uint64_t AppendAbandoned(uint8_t rmid, uint8_t info, const std::string& payload) {
    const std::string record = Record(rmid, info, payload);
    const uint64_t lsn = StartRecord();
    const uint64_t room = kPage - pos_ % kPage;
    Write(record, room);  // stops at the page end
    overwrite_next_page_ = true;
    return lsn;
  }
  // Where the next record would start (after a page header when at a page start).
  uint64_t position() const {
    if (pos_ % kPage != 0)
      return pos_;
    return pos_ + (pos_ % segment_bytes_ == 0 ? 40 : 24);
  }
  // The segment starting at `segment_lsn`, its unwritten pages zero.
  std::string Segment(uint64_t segment_lsn) const {
    std::string out = wal_.substr(segment_lsn - start_, segment_bytes_);
    out.resize(segment_bytes_, '\0');
    return out;
  }
  // The next record names `prev` as its predecessor instead of the record before it.
  void OverridePrev(uint64_t prev) { prev_ = prev; }
  // Direct access to flip bytes: offset from the first segment's start.
  std::string& raw() { return wal_; }
  uint64_t start() const { return start_; }

 private:
  static constexpr uint64_t kPage = 8192;

  std::string Record(uint8_t rmid, uint8_t info, const std::string& payload) const {
    std::string header;
    PutWal<uint32_t>(header, static_cast<uint32_t>(24 + payload.size()));
    PutWal<uint32_t>(header, 0);  // xid
    PutWal<uint64_t>(header, prev_);
    header.push_back(static_cast<char>(info));
    header.push_back(static_cast<char>(rmid));
    header.append(2, '\0');
    uint32_t crc = core::Crc32c(core::AsBytes(payload));
    crc = core::Crc32cExtend(crc, core::AsBytes(header));
    PutWal(header, crc);
    return header + payload;
  }
  uint64_t StartRecord() {
    if (pos_ % kPage == 0)
      PageHeader(0);
    return pos_;
  }
  // Writes up to `limit` bytes of `record` from pos_, opening pages as the record runs over.
  void Write(const std::string& record, size_t limit) {
    size_t done = 0;
    while (done < limit) {
      if (pos_ % kPage == 0)
        PageHeader(static_cast<uint32_t>(record.size() - done));
      const size_t n = std::min<size_t>(limit - done, kPage - pos_ % kPage);
      Put(record.substr(done, n));
      done += n;
    }
  }
  void PageHeader(uint32_t continuing) {
    const bool long_header = pos_ % segment_bytes_ == 0;
    uint16_t info = long_header ? 0x0002 : 0;
    if (continuing != 0)
      info |= 0x0001;
    if (overwrite_next_page_)
      info |= 0x0008;
    overwrite_next_page_ = false;
    std::string header;
    PutWal<uint16_t>(header, 0xD110);
    PutWal<uint16_t>(header, info);
    PutWal<uint32_t>(header, 1);  // timeline
    PutWal<uint64_t>(header, pos_);
    PutWal<uint32_t>(header, continuing);
    header.append(4, '\0');
    if (long_header) {
      PutWal<uint64_t>(header, 7000000000000000001ull);  // system identifier
      PutWal<uint32_t>(header, segment_bytes_);
      PutWal<uint32_t>(header, 8192);
    }
    Put(header);
  }
  void Put(const std::string& bytes) {
    const uint64_t offset = pos_ - start_;
    if (wal_.size() < offset + bytes.size())
      wal_.resize(offset + bytes.size(), '\0');
    wal_.replace(offset, bytes.size(), bytes);
    pos_ += bytes.size();
  }

  uint64_t start_;
  uint32_t segment_bytes_;
  uint64_t pos_;
  uint64_t prev_ = 0x1000000;  // a record before the first segment
  bool overwrite_next_page_ = false;
  std::string wal_;
};

}  // namespace hasteward::engine::postgres::testing
