#include "repo/index/disk_index_builder.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <queue>

#include <fcntl.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/crc32c.h"
#include "core/fd.h"
#include "core/temp_dir.h"
#include "repo/index/disk_index_format.h"

namespace hasteward::repo {

namespace {

constexpr size_t kMinRecordsPerRun = 1024;
constexpr size_t kMinMergeBuffer = size_t{64} << 10;
constexpr size_t kMaxMergeBuffer = size_t{4} << 20;

core::ByteView RecordBytes(const DiskIndexRecord* records, size_t count) {
  return {reinterpret_cast<const uint8_t*>(records), count * sizeof(DiskIndexRecord)};
}

// A sorted run in a temp file, read back record by record through a fixed buffer.
class RunReader {
 public:
  RunReader(core::UniqueFd fd, size_t buffer_records)
      : fd_(std::move(fd)), buffer_(std::max<size_t>(buffer_records, 1)) {}

  // Advances to the next record; false at the end of the run.
  core::Result<bool> Next() {
    if (++pos_ < filled_) {
      return true;
    }
    auto* bytes = reinterpret_cast<uint8_t*>(buffer_.data());
    size_t got = 0;
    const size_t want = buffer_.size() * sizeof(DiskIndexRecord);
    while (got < want) {
      HS_ASSIGN_OR_RETURN(size_t n, core::ReadSome(fd_.get(), {bytes + got, want - got}));
      if (n == 0) {
        break;
      }
      got += n;
    }
    if (got % sizeof(DiskIndexRecord) != 0) {
      return core::Corruption("a sort run of the blob index ends inside a record");
    }
    filled_ = got / sizeof(DiskIndexRecord);
    pos_ = 0;
    return filled_ > 0;
  }
  const DiskIndexRecord& current() const { return buffer_[pos_]; }

 private:
  core::UniqueFd fd_;
  std::vector<DiskIndexRecord> buffer_;
  size_t filled_ = 0;
  size_t pos_ = 0;
};

// Writes the output file's body through the atomic sink, keeping the CRC and the fanout counts.
class BodyWriter {
 public:
  explicit BodyWriter(core::AtomicFileSink* sink) : sink_(sink), fanout_(kDiskIndexFanout, 0) {}

  core::Status Write(core::ByteView data) {
    crc_ = core::Crc32cExtend(crc_, data);
    return sink_->Write(data);
  }
  // Appends a merged record, dropping a later listing of a blob already written.
  core::Status Add(const DiskIndexRecord& record) {
    if (records_ > 0 && CompareRecordKey(last_, record.id, record.type()) == 0) {
      return core::Status::Ok();
    }
    last_ = record;
    ++records_;
    ++fanout_[FanoutBucket(record.id)];
    pending_.push_back(record);
    return pending_.size() >= kFlushRecords ? Flush() : core::Status::Ok();
  }
  core::Status Flush() {
    HS_TRY(Write(RecordBytes(pending_.data(), pending_.size())));
    pending_.clear();
    return core::Status::Ok();
  }
  // Writes the cumulative fanout table after the records.
  core::Status WriteFanout() {
    HS_TRY(Flush());
    uint64_t sum = 0;
    for (auto& count : fanout_) {
      sum += count;
      count = sum;
    }
    return Write({reinterpret_cast<const uint8_t*>(fanout_.data()), fanout_.size() * 8});
  }
  uint64_t records() const { return records_; }
  uint32_t crc() const { return crc_; }

 private:
  static constexpr size_t kFlushRecords = 4096;
  core::AtomicFileSink* sink_;
  std::vector<uint64_t> fanout_;
  std::vector<DiskIndexRecord> pending_;
  DiskIndexRecord last_;
  uint64_t records_ = 0;
  uint32_t crc_ = 0;
};

core::Result<core::UniqueFd> CreateTemp(const std::string& path) {
  core::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    return core::ErrnoStatus("create '" + path + "'", errno);
  }
  return fd;
}

core::Status Rewind(int fd) {
  if (::lseek(fd, 0, SEEK_SET) != 0) {
    return core::ErrnoStatus("seek in a blob index temp file", errno);
  }
  return core::Status::Ok();
}

// Phase one: reads the index files one at a time, spills sorted runs, writes pack ids in order.
struct Spill {
  std::vector<core::UniqueFd> runs;
  core::UniqueFd packs;
  uint64_t pack_count = 0;
};

core::Status SpillRuns(const std::string& temp_dir, const std::vector<Id>& index_files,
                       const IndexFileLoader& load, size_t per_run, Spill* spill,
                       DiskIndexBuildStats* stats) {
  HS_ASSIGN_OR_RETURN(spill->packs, CreateTemp(temp_dir + "/packs"));
  std::vector<DiskIndexRecord> run;
  run.reserve(per_run);
  auto flush = [&]() -> core::Status {
    if (run.empty()) {
      return core::Status::Ok();
    }
    std::sort(run.begin(), run.end(), RecordLess);
    HS_ASSIGN_OR_RETURN(core::UniqueFd fd,
                        CreateTemp(temp_dir + "/run-" + std::to_string(spill->runs.size())));
    HS_TRY(core::WriteAll(fd.get(), RecordBytes(run.data(), run.size())));
    HS_TRY(Rewind(fd.get()));
    spill->runs.push_back(std::move(fd));
    run.clear();
    return core::Status::Ok();
  };
  for (const Id& file : index_files) {
    HS_ASSIGN_OR_RETURN(IndexFile parsed, load(file));
    for (const auto& [pack_id, blobs] : parsed.packs) {
      if (spill->pack_count >= kDiskIndexTreeBit) {
        return core::Corruption("the index lists more than 2^31 pack entries");
      }
      const auto number = static_cast<uint32_t>(spill->pack_count++);
      HS_TRY(core::WriteAll(spill->packs.get(), {pack_id.data(), pack_id.size()}));
      for (const PackedBlob& blob : blobs) {
        DiskIndexRecord record;
        record.id = blob.id;
        record.pack = number | (blob.type == BlobType::kTree ? kDiskIndexTreeBit : 0);
        record.offset = blob.offset;
        record.length = blob.length;
        record.uncompressed_length = blob.uncompressed_length;
        run.push_back(record);
        stats->max_records_held = std::max(stats->max_records_held, run.size());
        if (run.size() >= per_run) {
          HS_TRY(flush());
        }
      }
    }
  }
  HS_TRY(flush());
  return Rewind(spill->packs.get());
}

// Phase two: a k-way merge of the runs into the body, dropping later listings of a blob.
core::Status MergeRuns(Spill* spill, size_t buffer_records, BodyWriter* body) {
  std::vector<std::unique_ptr<RunReader>> readers;
  for (auto& fd : spill->runs) {
    readers.push_back(std::make_unique<RunReader>(std::move(fd), buffer_records));
  }
  auto greater = [&readers](size_t a, size_t b) {
    return RecordLess(readers[b]->current(), readers[a]->current());
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(greater)> heap(greater);
  for (size_t i = 0; i < readers.size(); ++i) {
    HS_ASSIGN_OR_RETURN(bool has, readers[i]->Next());
    if (has) {
      heap.push(i);
    }
  }
  while (!heap.empty()) {
    size_t top = heap.top();
    heap.pop();
    HS_TRY(body->Add(readers[top]->current()));
    HS_ASSIGN_OR_RETURN(bool has, readers[top]->Next());
    if (has) {
      heap.push(top);
    }
  }
  return body->WriteFanout();
}

core::Status CopyPacks(int packs_fd, BodyWriter* body) {
  std::vector<uint8_t> buffer(size_t{1} << 20);
  while (true) {
    HS_ASSIGN_OR_RETURN(size_t n, core::ReadSome(packs_fd, buffer));
    if (n == 0) {
      return core::Status::Ok();
    }
    HS_TRY(body->Write({buffer.data(), n}));
  }
}

}  // namespace

size_t RecordsPerRun(size_t memory_budget_bytes) {
  return std::max(kMinRecordsPerRun, memory_budget_bytes / 2 / sizeof(DiskIndexRecord));
}

core::Result<DiskIndexBuildStats> BuildDiskIndex(const std::string& path, const Id& key,
                                                 const std::vector<Id>& index_files,
                                                 const IndexFileLoader& load,
                                                 const DiskIndexBuildOptions& options) {
  DiskIndexBuildStats stats;
  stats.records_per_run = RecordsPerRun(options.memory_budget_bytes);
  const std::string parent = std::filesystem::path(path).parent_path().string();
  HS_ASSIGN_OR_RETURN(core::TempDir temp, core::TempDir::CreateOwned("blob-index-build-", parent));
  Spill spill;
  HS_TRY(SpillRuns(temp.path(), index_files, load, stats.records_per_run, &spill, &stats));
  stats.runs = spill.runs.size();
  stats.packs = spill.pack_count;
  // The merge's buffers share the half of the budget the runs no longer use.
  const size_t per_reader =
      std::clamp(options.memory_budget_bytes / 2 / std::max<size_t>(stats.runs, 1), kMinMergeBuffer,
                 kMaxMergeBuffer);
  core::AtomicFileOptions file_options;
  file_options.mode = 0600;
  HS_ASSIGN_OR_RETURN(auto sink, core::AtomicFileSink::Create(path, file_options));
  DiskIndexHeader header;
  HS_TRY(sink->Write({reinterpret_cast<const uint8_t*>(&header), sizeof(header)}));
  BodyWriter body(sink.get());
  HS_TRY(MergeRuns(&spill, per_reader / sizeof(DiskIndexRecord), &body));
  HS_TRY(CopyPacks(spill.packs.get(), &body));
  // The files it covers, so a later open can reuse it for a superset (disk_index.h).
  std::vector<Id> sorted = index_files;
  std::sort(sorted.begin(), sorted.end());
  for (const Id& file : sorted) {
    HS_TRY(body.Write({file.data(), file.size()}));
  }
  header.index_files = static_cast<uint32_t>(sorted.size());
  header.key = key;
  header.records = body.records();
  header.packs = spill.pack_count;
  header.crc = body.crc();
  // The header is known only now; it goes into the temp file before the rename makes it visible.
  if (::pwrite(sink->fd(), &header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header))) {
    return core::ErrnoStatus("write the blob index header", errno);
  }
  HS_TRY(sink->Close());
  stats.blobs = header.records;
  return stats;
}

}  // namespace hasteward::repo
