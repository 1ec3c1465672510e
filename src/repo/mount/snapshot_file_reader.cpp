#include "repo/mount/snapshot_file_reader.h"

#include <algorithm>
#include <cstring>

namespace hasteward::repo {

namespace {

// How far from where the last read ended a read still counts as sequential: the kernel sends a
// sequential reader's requests through several FUSE threads, so they arrive slightly reordered.
constexpr uint64_t kSequentialSlack = uint64_t{1} * 1024 * 1024;

}  // namespace

core::Result<std::unique_ptr<SnapshotFileReader>> SnapshotFileReader::Open(
    const MasterIndex& index, const Node& file, BlobCache& cache, uint64_t readahead_bytes) {
  std::vector<uint64_t> starts;
  starts.reserve(file.content.size() + 1);
  uint64_t offset = 0;
  for (const Id& id : file.content) {
    auto loc = index.Lookup(id, BlobType::kData);
    if (!loc) {
      return core::Corruption("data blob '" + IdToHex(id) + "' of file '" + file.name +
                              "' is missing from the index")
          .WithHint("run 'hasteward repo check' to find the damage");
    }
    starts.push_back(offset);
    offset += loc->blob.PlaintextLength();
  }
  starts.push_back(offset);
  if (offset != file.size) {
    return core::Corruption("file '" + file.name + "' has " + std::to_string(file.size) +
                            " bytes but its blobs hold " + std::to_string(offset))
        .WithHint("run 'hasteward repo check' to find the damage");
  }
  return std::unique_ptr<SnapshotFileReader>(
      new SnapshotFileReader(file.content, std::move(starts), cache, readahead_bytes));
}

size_t SnapshotFileReader::BlobAt(uint64_t offset) const {
  // The last start <= offset; empty blobs (none are written, but a tree may hold them) are
  // skipped because upper_bound lands past equal starts.
  auto it = std::upper_bound(starts_.begin(), starts_.end() - 1, offset);
  return static_cast<size_t>(it - starts_.begin()) - 1;
}

void SnapshotFileReader::ReadAhead(uint64_t offset, uint64_t end, size_t last_blob) {
  if (readahead_bytes_ == 0)
    return;
  size_t from = 0;
  size_t to = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool sequential =
        offset + kSequentialSlack >= expected_next_ && offset <= expected_next_ + kSequentialSlack;
    expected_next_ = std::max(expected_next_, end);
    if (!sequential) {
      // A seek: whatever was queued belongs to another stretch of the file.
      expected_next_ = end;
      queued_until_ = last_blob + 1;
      return;
    }
    uint64_t horizon = end + readahead_bytes_;
    from = std::max(queued_until_, last_blob + 1);
    to = from;
    while (to < blobs_.size() && starts_[to] < horizon)
      ++to;
    queued_until_ = std::max(queued_until_, to);
  }
  for (size_t i = from; i < to; ++i)
    cache_.Prefetch(blobs_[i]);
}

core::Result<size_t> SnapshotFileReader::Read(uint64_t offset, std::span<uint8_t> out) {
  if (offset >= size() || out.empty())
    return size_t{0};
  uint64_t end = std::min<uint64_t>(size(), offset + out.size());
  size_t first = BlobAt(offset);
  size_t last = BlobAt(end - 1);
  // Readahead first, so the next blobs load while this read waits for its own.
  ReadAhead(offset, end, last);
  size_t copied = 0;
  for (size_t i = first; i <= last; ++i) {
    HS_ASSIGN_OR_RETURN(SharedBlob blob, cache_.Get(blobs_[i]));
    if (blob->size() != starts_[i + 1] - starts_[i]) {
      return core::Corruption("data blob '" + IdToHex(blobs_[i]) + "' decoded to " +
                              std::to_string(blob->size()) + " bytes, the index says " +
                              std::to_string(starts_[i + 1] - starts_[i]));
    }
    uint64_t from = std::max(offset, starts_[i]);
    uint64_t to = std::min(end, starts_[i + 1]);
    std::memcpy(out.data() + copied, blob->data() + (from - starts_[i]), to - from);
    copied += to - from;
  }
  return copied;
}

}  // namespace hasteward::repo
