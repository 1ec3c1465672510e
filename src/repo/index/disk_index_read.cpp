#include "repo/index/disk_index_read.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <unistd.h>

#include "core/fd.h"
#include "core/pread_full.h"

namespace hasteward::repo {

namespace {

// Records read at once (192 KiB); a larger bucket (a repository of more than ~270 M blobs) is
// first narrowed by single-record reads.
constexpr uint64_t kMaxBucketRecords = 4096;
constexpr char kReadWhat[] = "read blob index";

}  // namespace

core::Status ReadDiskIndexRecords(int fd, uint64_t first, uint64_t count, DiskIndexRecord* out) {
  const size_t bytes = count * sizeof(DiskIndexRecord);
  HS_ASSIGN_OR_RETURN(
      size_t got,
      core::PreadFull(fd, {reinterpret_cast<uint8_t*>(out), bytes},
                      kDiskIndexHeaderSize + first * sizeof(DiskIndexRecord), kReadWhat));
  if (got != bytes) {
    return core::StorageError("the blob index file ended early");
  }
  return core::Status::Ok();
}

core::Result<std::vector<uint64_t>> ReadDiskIndexFanout(int fd, uint64_t records) {
  std::vector<uint64_t> fanout(kDiskIndexFanout);
  HS_ASSIGN_OR_RETURN(
      size_t got,
      core::PreadFull(
          fd, {reinterpret_cast<uint8_t*>(fanout.data()), kDiskIndexFanout * sizeof(uint64_t)},
          kDiskIndexHeaderSize + records * sizeof(DiskIndexRecord), kReadWhat));
  if (got != kDiskIndexFanout * sizeof(uint64_t)) {
    return core::Corruption("the blob index file is shorter than its fanout table");
  }
  return fanout;
}

core::Result<std::optional<uint64_t>> FindDiskIndexRecord(int fd,
                                                          const std::vector<uint64_t>& fanout,
                                                          uint64_t records, const Id& id,
                                                          BlobType type, DiskIndexRecord* found) {
  const size_t bucket = FanoutBucket(id);
  uint64_t low = bucket > 0 ? fanout[bucket - 1] : 0;
  // A verified file has sane counts; never read past the records.
  uint64_t high = std::min(fanout[bucket], records);
  while (high - low > kMaxBucketRecords && low < high) {
    const uint64_t mid = low + (high - low) / 2;
    HS_TRY(ReadDiskIndexRecords(fd, mid, 1, found));
    const int c = CompareRecordKey(*found, id, type);
    if (c == 0) {
      return std::optional<uint64_t>(mid);
    }
    (c < 0 ? low : high) = c < 0 ? mid + 1 : mid;
  }
  if (low >= high) {
    return std::optional<uint64_t>();
  }
  // One buffer per thread, reused: at most one bucket (192 KiB) each.
  thread_local std::vector<DiskIndexRecord> buffer;
  buffer.resize(high - low);
  HS_TRY(ReadDiskIndexRecords(fd, low, high - low, buffer.data()));
  const std::optional<uint64_t> at =
      FindRecordIn(reinterpret_cast<const uint8_t*>(buffer.data()), 0, high - low, id, type);
  if (!at) {
    return std::optional<uint64_t>();
  }
  *found = buffer[*at];
  return std::optional<uint64_t>(low + *at);
}

}  // namespace hasteward::repo
