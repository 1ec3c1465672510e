#include "engine/postgres/wal_record_stream.h"

#include <algorithm>
#include <bit>

#include "core/byte_stream.h"
#include "core/crc32c.h"
#include "engine/postgres/triage_timeline.h"

namespace hasteward::engine::postgres {

namespace {

// WAL is written in the server's byte order (LoadWalField): little-endian hosts only.
static_assert(std::endian::native == std::endian::little);

constexpr uint16_t kFirstIsContrecord = 0x0001;
constexpr uint16_t kLongHeader = 0x0002;
constexpr uint16_t kFirstIsOverwriteContrecord = 0x0008;
constexpr uint16_t kAllPageFlags = 0x000F;
// Built-in resource managers are 0..21 in PostgreSQL 15, extensions' custom ones 128..255.
constexpr uint8_t kMaxBuiltinRmgr = 21;
constexpr uint8_t kMinCustomRmgr = 128;
// No record is larger than the 1 GiB a server can allocate: a larger length is garbage, and
// refusing it early keeps a bad page from growing a 4 GiB buffer.
constexpr uint32_t kMaxRecordBytes = uint32_t{1} << 30;

uint64_t MaxAlign(uint64_t value) {
  return (value + 7) & ~uint64_t{7};
}

core::ByteView View(std::string_view bytes) {
  return {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
}

core::Status Corrupt(const std::string& message) {
  return core::Status(core::ErrorCode::kCorruption, message,
                      "the WAL cannot tell which blocks changed: read every block");
}

// The record's CRC-32C covers its payload first, then its header up to the CRC field.
bool CrcMatches(std::string_view record) {
  constexpr size_t kCrcOffset = 20;
  uint32_t crc = core::Crc32cExtend(0, View(record.substr(kWalRecordHeaderBytes)));
  crc = core::Crc32cExtend(crc, View(record.substr(0, kCrcOffset)));
  return crc == LoadWalField<uint32_t>(record, kCrcOffset);
}

}  // namespace

core::Status WalRecordStream::AddSegment(uint64_t segment_start_lsn, std::string_view bytes,
                                         const Visitor& visit) {
  HS_TRY(AddSegmentPart(segment_start_lsn, 0, bytes, visit));
  // A whole segment was meant: one that stops short where the stream still wants bytes ends it.
  if (!Reached() && segment_bytes_ != 0 && NextWantedLsn() < segment_start_lsn + segment_bytes_ &&
      bytes.size() < segment_bytes_) {
    ended_ = true;
  }
  return core::Status::Ok();
}

uint64_t WalRecordStream::NextWantedLsn() const {
  if (Reached())
    return UINT64_MAX;
  if (segment_bytes_ == 0)
    return from_ - from_ % kWalPageBytes;  // refined by the caller to its segment's start
  // A record in progress goes on on the page after the last one fed; else the next record's
  // page (after a page read whole, pos_ is at or past its end).
  if (!partial_.empty())
    return fed_until_;
  return pos_ - pos_ % kWalPageBytes;
}

core::Status WalRecordStream::AddSegmentPart(uint64_t segment_start_lsn, uint64_t offset,
                                             std::string_view bytes, const Visitor& visit) {
  if (Reached())
    return core::Status::Ok();  // later segments hold nothing the interval asks for
  if (ended_) {
    return core::Status(core::ErrorCode::kIncompleteInput,
                        "WAL segment at " + FormatLsn(segment_start_lsn) +
                            " follows one that stopped short of its end");
  }
  if (offset % kWalPageBytes != 0)
    return core::Internal("a WAL segment part must start at a page boundary");
  if (offset == 0) {
    if (segment_bytes_ == 0) {
      HS_TRY(CheckFirstSegment(segment_start_lsn, bytes));
    } else if (segment_start_lsn != next_segment_) {
      return core::Status(core::ErrorCode::kIncompleteInput,
                          "WAL segment at " + FormatLsn(segment_start_lsn) + " where the one at " +
                              FormatLsn(next_segment_) + " was expected");
    }
    next_segment_ = segment_start_lsn + segment_bytes_;
    fed_until_ = segment_start_lsn;
  } else if (segment_bytes_ == 0 || segment_start_lsn + segment_bytes_ != next_segment_ ||
             segment_start_lsn + offset < fed_until_) {
    return core::Internal(
        "a WAL segment's parts come in order, the first at offset 0, none overlapping");
  } else if (segment_start_lsn + offset > NextWantedLsn()) {
    return core::Status(core::ErrorCode::kIncompleteInput,
                        "WAL segment at " + FormatLsn(segment_start_lsn) + " read from byte " +
                            std::to_string(offset) + " leaves out WAL the interval needs");
  }
  if (offset + bytes.size() > segment_bytes_) {
    return Corrupt("WAL segment at " + FormatLsn(segment_start_lsn) + " is longer than " +
                   std::to_string(segment_bytes_) + " bytes");
  }
  // Pages before the next record's are not asked for (the first segment before from_lsn's page;
  // after a switch record, whose segment's rest is unused, pos_ is the next segment's start).
  const uint64_t part_start = segment_start_lsn + offset;
  const uint64_t part_end = part_start + bytes.size();
  const uint64_t first_page = std::max(part_start, pos_ - pos_ % kWalPageBytes);
  for (uint64_t page_lsn = first_page; page_lsn < next_segment_ && !Reached();
       page_lsn += kWalPageBytes) {
    if (partial_.empty() && pos_ >= page_lsn + kWalPageBytes)
      continue;
    if (page_lsn + kWalPageBytes > part_end) {
      // The part ends here: inside a page, a segment still being written (what follows is not
      // known yet); at a page boundary, the next part goes on.
      if (page_lsn < part_end)
        ended_ = true;
      return core::Status::Ok();
    }
    HS_ASSIGN_OR_RETURN(Page page,
                        ReadPage(page_lsn, bytes.substr(page_lsn - part_start, kWalPageBytes)));
    HS_TRY(ReadPageRecords(page, visit));
    fed_until_ = page_lsn + kWalPageBytes;
  }
  return core::Status::Ok();
}

core::Status WalRecordStream::CheckFirstSegment(uint64_t segment_start_lsn,
                                                std::string_view bytes) {
  if (bytes.size() < kWalPageBytes)
    return Corrupt("WAL segment at " + FormatLsn(segment_start_lsn) + " has no whole first page");
  if (LoadWalField<uint16_t>(bytes, 0) != kWalPageMagic15 ||
      !(LoadWalField<uint16_t>(bytes, 2) & kLongHeader)) {
    return Corrupt("WAL segment at " + FormatLsn(segment_start_lsn) +
                   " does not open with a PostgreSQL 15 long page header");
  }
  const uint32_t segment_bytes = LoadWalField<uint32_t>(bytes, 32);
  const bool plausible = std::has_single_bit(segment_bytes) && segment_bytes >= (1u << 20) &&
                         segment_bytes <= (1u << 30);
  if (!plausible || LoadWalField<uint32_t>(bytes, 36) != kWalPageBytes) {
    return Corrupt("WAL segment at " + FormatLsn(segment_start_lsn) +
                   " names a segment size or page size this reader does not know");
  }
  if (segment_start_lsn % segment_bytes != 0 || from_ < segment_start_lsn ||
      from_ - segment_start_lsn >= segment_bytes) {
    return core::Status(core::ErrorCode::kIncompleteInput,
                        "the first WAL segment given starts at " + FormatLsn(segment_start_lsn) +
                            ", not the one holding " + FormatLsn(from_));
  }
  segment_bytes_ = segment_bytes;
  system_id_ = LoadWalField<uint64_t>(bytes, 24);
  next_segment_ = segment_start_lsn;
  return core::Status::Ok();
}

core::Result<WalRecordStream::Page> WalRecordStream::ReadPage(uint64_t page_lsn,
                                                              std::string_view bytes) {
  Page page;
  page.lsn = page_lsn;
  page.bytes = bytes;
  page.info = LoadWalField<uint16_t>(bytes, 2);
  page.rem_len = LoadWalField<uint32_t>(bytes, 16);
  const std::string where = "WAL page at " + FormatLsn(page_lsn);
  if (LoadWalField<uint16_t>(bytes, 0) != kWalPageMagic15) {
    return Corrupt(where + " has magic number " + std::to_string(LoadWalField<uint16_t>(bytes, 0)) +
                   ", not PostgreSQL 15's");
  }
  if (page.info & ~kAllPageFlags)
    return Corrupt(where + " has unknown info bits");
  const bool long_header = (page.info & kLongHeader) != 0;
  if (long_header != (page_lsn % segment_bytes_ == 0)) {
    return Corrupt(where + (long_header ? " has a long header inside a segment"
                                        : " opens a segment without a long header"));
  }
  if (long_header && (LoadWalField<uint64_t>(bytes, 24) != system_id_ ||
                      LoadWalField<uint32_t>(bytes, 32) != segment_bytes_ ||
                      LoadWalField<uint32_t>(bytes, 36) != kWalPageBytes))
    return Corrupt(where + " is from another database system");
  // A recycled segment not yet overwritten still carries the addresses of its earlier use.
  if (LoadWalField<uint64_t>(bytes, 8) != page_lsn)
    return Corrupt(where + " holds the page of " + FormatLsn(LoadWalField<uint64_t>(bytes, 8)));
  const uint32_t timeline = LoadWalField<uint32_t>(bytes, 4);
  if (timeline < last_timeline_) {
    return Corrupt(where + " is on timeline " + std::to_string(timeline) + " after timeline " +
                   std::to_string(last_timeline_));
  }
  last_timeline_ = timeline;
  page.header_bytes = long_header ? kWalLongPageHeaderBytes : kWalShortPageHeaderBytes;
  return page;
}

core::Status WalRecordStream::ReadPageRecords(const Page& page, const Visitor& visit) {
  const uint64_t body = page.lsn + page.header_bytes;
  if (!partial_.empty()) {
    if (page.info & kFirstIsOverwriteContrecord) {
      // The server crashed before the record's rest reached disk and wrote new WAL over it
      // (after an XLOG_OVERWRITE_CONTRECORD): the record never took effect.
      partial_.clear();
      pos_ = body;
    } else {
      HS_TRY(ContinueRecord(page, visit));
      if (!partial_.empty())
        return core::Status::Ok();
    }
  } else if (seeking_) {
    pos_ = body;
    if (page.info & kFirstIsContrecord) {
      // The page goes on with a record that started before from_lsn: skip its rest.
      const uint64_t rest = MaxAlign(page.rem_len);
      if (rest >= kWalPageBytes - page.header_bytes)
        return core::Status::Ok();  // it fills this page too: the next page says how much more
      pos_ += rest;
    }
    seeking_ = false;
  } else {
    if (page.info & kFirstIsContrecord) {
      return Corrupt("WAL page at " + FormatLsn(page.lsn) +
                     " continues a record, but the record before ended on the page before");
    }
    pos_ = body;
  }
  while (partial_.empty() && pos_ < page.lsn + kWalPageBytes) {
    if (AtOrPastEnd(pos_)) {
      reached_ = true;
      return core::Status::Ok();
    }
    HS_TRY(StartRecord(page, visit));
  }
  return core::Status::Ok();
}

core::Status WalRecordStream::StartRecord(const Page& page, const Visitor& visit) {
  const uint32_t offset = static_cast<uint32_t>(pos_ - page.lsn);
  // Records are MAXALIGNed, so at least xl_tot_len is on this page.
  const uint32_t total = LoadWalField<uint32_t>(page.bytes, offset);
  if (total < kWalRecordHeaderBytes || total > kMaxRecordBytes)
    return Corrupt("invalid record length " + std::to_string(total) + " at " + FormatLsn(pos_));
  if (total <= kWalPageBytes - offset)
    return FinishRecord(pos_, pos_ + total, page.bytes.substr(offset, total), visit);
  partial_lsn_ = pos_;
  partial_total_ = total;
  partial_.assign(page.bytes.substr(offset));
  return core::Status::Ok();
}

core::Status WalRecordStream::ContinueRecord(const Page& page, const Visitor& visit) {
  const uint32_t missing = partial_total_ - static_cast<uint32_t>(partial_.size());
  if (!(page.info & kFirstIsContrecord) || page.rem_len != missing) {
    return Corrupt("WAL page at " + FormatLsn(page.lsn) + " does not continue the record at " +
                   FormatLsn(partial_lsn_) + " (" + std::to_string(missing) +
                   " bytes of it were still to come)");
  }
  const uint32_t take = std::min(missing, kWalPageBytes - page.header_bytes);
  partial_.append(page.bytes.substr(page.header_bytes, take));
  if (take < missing)
    return core::Status::Ok();
  HS_TRY(FinishRecord(partial_lsn_, page.lsn + page.header_bytes + take, partial_, visit));
  partial_.clear();  // keeps its capacity for the next long record
  return core::Status::Ok();
}

core::Status WalRecordStream::FinishRecord(uint64_t lsn, uint64_t end, std::string_view bytes,
                                           const Visitor& visit) {
  const uint8_t rmid = static_cast<uint8_t>(bytes[17]);
  if (rmid > kMaxBuiltinRmgr && rmid < kMinCustomRmgr)
    return Corrupt("invalid resource manager id " + std::to_string(rmid) + " at " + FormatLsn(lsn));
  // Read in order, each record names the one before exactly; the first one only an earlier
  // position. This catches a stale but well-formed record left by a torn write.
  const uint64_t prev = LoadWalField<uint64_t>(bytes, 8);
  if (prev_record_ ? prev != *prev_record_ : prev >= lsn)
    return Corrupt("record at " + FormatLsn(lsn) + " links back to " + FormatLsn(prev));
  if (!CrcMatches(bytes))
    return Corrupt("record at " + FormatLsn(lsn) + " fails its CRC-32C");
  prev_record_ = lsn;
  pos_ = MaxAlign(end);
  const uint8_t info = static_cast<uint8_t>(bytes[16]);
  if (rmid == kRmgrXlog && (info & kRmgrInfoMask) == kXlogSwitch)
    pos_ = (pos_ + segment_bytes_ - 1) / segment_bytes_ * segment_bytes_;
  if (AtOrPastEnd(pos_))
    reached_ = true;
  if (lsn >= from_)
    return visit(WalRecord{lsn, bytes});
  return core::Status::Ok();
}

bool WalRecordStream::AtOrPastEnd(uint64_t lsn) const {
  if (lsn >= to_)
    return true;
  if (lsn % kWalPageBytes != 0)
    return false;
  // At a page start the next record can only begin after the page's header.
  const uint64_t header =
      lsn % segment_bytes_ == 0 ? kWalLongPageHeaderBytes : kWalShortPageHeaderBytes;
  return to_ <= lsn + header;
}

}  // namespace hasteward::engine::postgres
