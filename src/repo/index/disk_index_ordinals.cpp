#include "repo/index/disk_index_ordinals.h"

#include <algorithm>
#include <cstring>
#include <span>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo/index/disk_index_format.h"

namespace hasteward::repo {

namespace {

// Records read at once (192 KiB); a larger bucket (a repository of more than ~270 M blobs) is
// first narrowed by single-record reads.
constexpr uint64_t kMaxBucketRecords = 4096;

// Reads buf.size() bytes at `offset` (fewer only at the end of the file).
core::Result<size_t> PreadFull(int fd, std::span<uint8_t> buf, off_t offset) {
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::pread(fd, buf.data() + got, buf.size() - got, offset + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return core::ErrnoStatus("read blob index", errno);
    }
    if (n == 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  return got;
}

}  // namespace

core::Result<std::unique_ptr<DiskIndexOrdinals>> DiskIndexOrdinals::Open(const DiskIndex& index) {
  std::unique_ptr<DiskIndexOrdinals> view(new DiskIndexOrdinals());
  view->path_ = index.path();
  view->fd_ = core::UniqueFd(::open(view->path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!view->fd_.valid()) {
    return core::ErrnoStatus("open blob index '" + view->path_ + "'", errno);
  }
  DiskIndexHeader header;
  struct stat st {};
  if (::fstat(view->fd_.get(), &st) != 0 ||
      ::pread(view->fd_.get(), &header, sizeof(header), 0) !=
          static_cast<ssize_t>(sizeof(header)) ||
      header.records != index.BlobCount() ||
      static_cast<uint64_t>(st.st_size) < kDiskIndexHeaderSize +
                                              header.records * sizeof(DiskIndexRecord) +
                                              kDiskIndexFanout * sizeof(uint64_t)) {
    return core::Corruption("blob index '" + view->path_ + "' changed since it was verified")
        .WithHint("another process rebuilt the index cache; run the command again");
  }
  view->records_ = header.records;
  view->fanout_.resize(kDiskIndexFanout);
  const auto at =
      static_cast<off_t>(kDiskIndexHeaderSize + header.records * sizeof(DiskIndexRecord));
  HS_ASSIGN_OR_RETURN(size_t got, PreadFull(view->fd_.get(),
                                            {reinterpret_cast<uint8_t*>(view->fanout_.data()),
                                             kDiskIndexFanout * sizeof(uint64_t)},
                                            at));
  if (got != kDiskIndexFanout * sizeof(uint64_t)) {
    return core::Corruption("blob index '" + view->path_ + "' is shorter than its fanout");
  }
  return view;
}

core::Status DiskIndexOrdinals::ReadRecords(uint64_t first, uint64_t count, void* out) const {
  const size_t bytes = count * sizeof(DiskIndexRecord);
  const auto at = static_cast<off_t>(kDiskIndexHeaderSize + first * sizeof(DiskIndexRecord));
  HS_ASSIGN_OR_RETURN(size_t got, PreadFull(fd_.get(), {static_cast<uint8_t*>(out), bytes}, at));
  if (got != bytes) {
    return core::StorageError("blob index '" + path_ + "' ended early");
  }
  return core::Status::Ok();
}

core::Result<std::optional<uint64_t>> DiskIndexOrdinals::Find(const Id& blob_id,
                                                              BlobType type) const {
  const size_t bucket = FanoutBucket(blob_id);
  uint64_t low = bucket > 0 ? fanout_[bucket - 1] : 0;
  uint64_t high = std::min(fanout_[bucket], records_);
  DiskIndexRecord record;
  while (high - low > kMaxBucketRecords && low < high) {
    const uint64_t mid = low + (high - low) / 2;
    HS_TRY(ReadRecords(mid, 1, &record));
    const int c = CompareRecordKey(record, blob_id, type);
    if (c == 0) {
      return std::optional<uint64_t>(mid);
    }
    (c < 0 ? low : high) = c < 0 ? mid + 1 : mid;
  }
  if (low >= high) {
    return std::optional<uint64_t>();
  }
  thread_local std::vector<uint8_t> buffer;
  buffer.resize((high - low) * sizeof(DiskIndexRecord));
  HS_TRY(ReadRecords(low, high - low, buffer.data()));
  const std::optional<uint64_t> at = FindRecordIn(buffer.data(), 0, high - low, blob_id, type);
  return at ? std::optional<uint64_t>(low + *at) : std::optional<uint64_t>();
}

core::Result<std::pair<Id, BlobType>> DiskIndexOrdinals::BlobAt(uint64_t ordinal) const {
  DiskIndexRecord record;
  HS_TRY(ReadRecords(ordinal, 1, &record));
  return std::make_pair(record.id, record.type());
}

}  // namespace hasteward::repo
