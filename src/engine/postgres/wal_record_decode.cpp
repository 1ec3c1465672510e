#include "engine/postgres/wal_record_decode.h"

#include <string>

#include "engine/postgres/triage_timeline.h"

namespace hasteward::engine::postgres {

namespace {

constexpr uint8_t kDataShort = 255;  // main data, uint8 length
constexpr uint8_t kDataLong = 254;   // main data, uint32 length
constexpr uint8_t kOrigin = 253;     // replication origin, uint16
constexpr uint8_t kToplevelXid = 252;
constexpr uint8_t kForkMask = 0x0F;
constexpr uint8_t kMaxFork = 3;  // INIT_FORKNUM
constexpr uint8_t kHasImage = 0x10;
constexpr uint8_t kHasData = 0x20;
constexpr uint8_t kSameRel = 0x80;
constexpr uint8_t kImageHasHole = 0x01;
constexpr uint8_t kImageCompressed = 0x04 | 0x08 | 0x10;  // pglz, lz4, zstd
constexpr uint32_t kBlockBytes = 8192;

// Reads the record's header fragments front to back, refusing to run past its end.
class FragmentReader {
 public:
  explicit FragmentReader(const WalRecord& record)
      : bytes_(record.bytes), lsn_(record.lsn), at_(kWalRecordHeaderBytes) {}

  template <typename T>
  core::Status Take(T& value) {
    if (bytes_.size() - at_ < sizeof(T))
      return Error("its headers run past its length");
    value = LoadWalField<T>(bytes_, at_);
    at_ += sizeof(T);
    return core::Status::Ok();
  }
  size_t remaining() const { return bytes_.size() - at_; }
  core::Status Error(const std::string& what) const {
    return core::Status(core::ErrorCode::kCorruption,
                        "WAL record at " + FormatLsn(lsn_) + ": " + what,
                        "the WAL cannot tell which blocks changed: read every block");
  }

 private:
  std::string_view bytes_;
  uint64_t lsn_;
  size_t at_;
};

// The image header's own consistency rules, as the server's decoder checks them: a hole has an
// offset and a length, no hole means an uncompressed image is a whole block.
core::Status CheckImageHeader(FragmentReader& reader, uint64_t& data_total) {
  uint16_t length = 0;
  uint16_t hole_offset = 0;
  uint8_t image_info = 0;
  HS_TRY(reader.Take(length));
  HS_TRY(reader.Take(hole_offset));
  HS_TRY(reader.Take(image_info));
  const bool compressed = (image_info & kImageCompressed) != 0;
  const bool has_hole = (image_info & kImageHasHole) != 0;
  uint32_t hole_length = 0;
  if (compressed && has_hole) {
    uint16_t stored = 0;
    HS_TRY(reader.Take(stored));
    hole_length = stored;
  } else if (!compressed) {
    hole_length = kBlockBytes - length;
  }
  data_total += length;
  if (has_hole && (hole_offset == 0 || hole_length == 0 || length == kBlockBytes))
    return reader.Error("a page image with an empty hole");
  if (!has_hole && (hole_offset != 0 || hole_length != 0))
    return reader.Error("a page image with a hole it does not flag");
  if (compressed && length == kBlockBytes)
    return reader.Error("a compressed page image of a whole block");
  return core::Status::Ok();
}

}  // namespace

core::Status DecodeWalRecord(const WalRecord& record, DecodedWalRecord& out) {
  out.rmid = record.rmid();
  out.info = record.info();
  out.block_count = 0;
  out.main_data = {};
  FragmentReader reader(record);
  uint64_t data_total = 0;  // block data, images and main data announced so far
  uint32_t main_length = 0;
  int last_block_id = -1;
  const RelationFork* previous_relation = nullptr;
  while (reader.remaining() > data_total) {
    uint8_t id = 0;
    HS_TRY(reader.Take(id));
    if (id == kDataShort || id == kDataLong) {
      // The main data's header comes last.
      if (id == kDataShort) {
        uint8_t length = 0;
        HS_TRY(reader.Take(length));
        main_length = length;
      } else {
        HS_TRY(reader.Take(main_length));
      }
      data_total += main_length;
      break;
    }
    if (id == kOrigin) {
      uint16_t origin = 0;
      HS_TRY(reader.Take(origin));
      continue;
    }
    if (id == kToplevelXid) {
      uint32_t xid = 0;
      HS_TRY(reader.Take(xid));
      continue;
    }
    if (id > kMaxWalBlockId)
      return reader.Error("invalid block id " + std::to_string(id));
    if (static_cast<int>(id) <= last_block_id)
      return reader.Error("block id " + std::to_string(id) + " out of order");
    last_block_id = id;
    uint8_t fork_flags = 0;
    uint16_t data_length = 0;
    HS_TRY(reader.Take(fork_flags));
    HS_TRY(reader.Take(data_length));
    if (((fork_flags & kHasData) != 0) != (data_length != 0))
      return reader.Error("block data length " + std::to_string(data_length) +
                          " disagrees with its flag");
    data_total += data_length;
    if (fork_flags & kHasImage)
      HS_TRY(CheckImageHeader(reader, data_total));
    WalBlockReference& ref = out.blocks[out.block_count];
    if (fork_flags & kSameRel) {
      if (previous_relation == nullptr)
        return reader.Error("a block refers to the relation before it, but none came before");
      ref.fork = *previous_relation;
    } else {
      HS_TRY(reader.Take(ref.fork.tablespace));
      HS_TRY(reader.Take(ref.fork.database));
      HS_TRY(reader.Take(ref.fork.relfilenode));
    }
    const uint8_t fork = fork_flags & kForkMask;
    if (fork > kMaxFork)
      return reader.Error("invalid fork number " + std::to_string(fork));
    ref.fork.fork = static_cast<ForkNumber>(fork);
    HS_TRY(reader.Take(ref.block));
    previous_relation = &ref.fork;
    ++out.block_count;
  }
  if (reader.remaining() != data_total)
    return reader.Error("its fragments do not add up to its length");
  out.main_data = record.bytes.substr(record.bytes.size() - main_length);
  return core::Status::Ok();
}

}  // namespace hasteward::engine::postgres
