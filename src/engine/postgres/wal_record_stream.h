// PostgreSQL 15 WAL framing: segments of 8 KiB pages, each page opening with a header (a long one
// on a segment's first page, naming the segment size), records MAXALIGNed (8) and free to run
// over pages and segments, each continuation page saying how much of the record it still holds.
// WalRecordStream turns segments fed in order into whole, CRC-checked records.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace hasteward::engine::postgres {

inline constexpr uint32_t kWalPageBytes = 8192;
inline constexpr uint32_t kWalShortPageHeaderBytes = 24;
inline constexpr uint32_t kWalLongPageHeaderBytes = 40;
inline constexpr uint32_t kWalRecordHeaderBytes = 24;
// XLOG_PAGE_MAGIC of PostgreSQL 15: another major version's WAL is refused, not misread.
inline constexpr uint16_t kWalPageMagic15 = 0xD110;

// Resource managers and xl_info bits the readers here look at (PostgreSQL 15's rmgrlist.h).
inline constexpr uint8_t kRmgrXlog = 0;
inline constexpr uint8_t kRmgrXact = 1;
inline constexpr uint8_t kRmgrSmgr = 2;
inline constexpr uint8_t kRmgrDbase = 4;
inline constexpr uint8_t kRmgrInfoMask = 0xF0;  // the rmgr's own bits of xl_info
inline constexpr uint8_t kXlogSwitch = 0x40;    // ends its segment
// Set on records that change relation files beyond their block references.
inline constexpr uint8_t kSpecialRelUpdate = 0x01;

// A field of WAL bytes (unaligned, in the server's byte order: little-endian like this program's
// hosts). The caller has checked that `offset + sizeof(T)` is within `bytes`.
template <typename T>
T LoadWalField(std::string_view bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

// One whole record: its bytes from the header on (xl_tot_len of them) and where it starts.
struct WalRecord {
  uint64_t lsn = 0;
  std::string_view bytes;
  uint8_t rmid() const { return static_cast<uint8_t>(bytes[17]); }
  uint8_t info() const { return static_cast<uint8_t>(bytes[16]); }
};

// Reads every record that starts in [from_lsn, to_lsn) and hands it to a visitor, in order.
// from_lsn need not be a record start: reading begins at its page, skips a record continued
// from the page before and the records starting before from_lsn (checked all the same), as
// pg_waldump --start does.
class WalRecordStream {
 public:
  using Visitor = std::function<core::Status(const WalRecord&)>;

  WalRecordStream(uint64_t from_lsn, uint64_t to_lsn)
      : from_(from_lsn), to_(to_lsn), pos_(from_lsn) {}

  // The segment starting at `segment_start_lsn` (the first: the one holding from_lsn; then each
  // next one). `bytes` may stop short of the segment's end (a segment still being written): the
  // stream then ends there and a later segment is a gap. Errors: kIncompleteInput for a segment
  // out of order, kCorruption for a page or record that does not check out before to_lsn. A
  // visitor's error stops the stream and is returned.
  core::Status AddSegment(uint64_t segment_start_lsn, std::string_view bytes, const Visitor& visit);

  // The same, a part at a time, so that a reader need not read what the stream would skip: the
  // segment's bytes from `offset` (a multiple of the page size) on, a segment's parts in order
  // and a segment's first part at offset 0. A part starts no later than NextWantedLsn() (one
  // that leaves out bytes the stream needs is kIncompleteInput); pages before it are skipped
  // unread. A part ending inside a page ends the stream as a short segment does.
  core::Status AddSegmentPart(uint64_t segment_start_lsn, uint64_t offset, std::string_view bytes,
                              const Visitor& visit);
  // The first WAL position whose page the stream still needs: a segment's start before its first
  // part (its long header is checked), then the page of the next record (the page after the last
  // one fed while a record is incomplete). Past the current segment's end after a switch record
  // (the rest of that segment is unused) or once the interval is read.
  uint64_t NextWantedLsn() const;

  // Every record starting before to_lsn was read (or the interval is empty).
  bool Reached() const { return reached_ || from_ >= to_; }
  uint32_t segment_bytes() const { return segment_bytes_; }

 private:
  struct Page {
    uint64_t lsn = 0;
    std::string_view bytes;  // the whole page
    uint16_t info = 0;
    uint32_t rem_len = 0;
    uint32_t header_bytes = 0;
  };

  core::Status CheckFirstSegment(uint64_t segment_start_lsn, std::string_view bytes);
  core::Result<Page> ReadPage(uint64_t page_lsn, std::string_view bytes);
  core::Status ReadPageRecords(const Page& page, const Visitor& visit);
  core::Status ContinueRecord(const Page& page, const Visitor& visit);
  core::Status StartRecord(const Page& page, const Visitor& visit);
  core::Status FinishRecord(uint64_t lsn, uint64_t end, std::string_view bytes,
                            const Visitor& visit);
  bool AtOrPastEnd(uint64_t lsn) const;

  uint64_t from_;
  uint64_t to_;
  uint64_t pos_;  // where the next record starts; a page start means "after that page's header"
  bool reached_ = false;
  bool seeking_ = true;     // before the first page: a continued record there started before from
  bool ended_ = false;      // the fed bytes stopped short of a segment's end
  uint64_t fed_until_ = 0;  // the end of the last page fed (0: none yet)
  uint32_t segment_bytes_ = 0;
  uint64_t system_id_ = 0;
  uint64_t next_segment_ = 0;
  uint32_t last_timeline_ = 0;
  std::optional<uint64_t> prev_record_;  // the last record's start, for xl_prev
  // A record begun on an earlier page: its start, its total length and the bytes so far.
  uint64_t partial_lsn_ = 0;
  uint32_t partial_total_ = 0;
  std::string partial_;
};

}  // namespace hasteward::engine::postgres
