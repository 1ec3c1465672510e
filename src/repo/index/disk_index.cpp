#include "repo/index/disk_index.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iterator>

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/crc32c.h"
#include "core/fd.h"
#include "core/log.h"
#include "core/pread_full.h"
#include "repo/index/disk_index_read.h"

namespace hasteward::repo {

namespace {

constexpr const char* kFilePrefix = "blob-index-";
constexpr const char* kFileSuffix = ".hsidx";

// Reads the file once through a small buffer to check the CRC: read(), not the mapping, so the
// check leaves no resident pages behind in this process.
core::Result<uint32_t> CrcAfterHeader(int fd, uint64_t size) {
  std::vector<uint8_t> buffer(size_t{1} << 20);
  uint32_t crc = 0;
  uint64_t pos = kDiskIndexHeaderSize;
  while (pos < size) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), size - pos));
    ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(pos));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return core::Corruption("blob index file is shorter than its header says");
    }
    crc = core::Crc32cExtend(crc, {buffer.data(), static_cast<size_t>(n)});
    pos += static_cast<uint64_t>(n);
  }
  return crc;
}

// Removes the index files of other index sets: each is as large as the index, and none is read
// again once the repository's index files changed.
void RemoveStale(const std::string& dir, const std::string& keep) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name != keep && name.rfind(kFilePrefix, 0) == 0 && name.size() > 6 &&
        name.compare(name.size() - 6, 6, kFileSuffix) == 0) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

// Hands the heap the build freed back to the system. The build allocates and frees an index file's
// worth of small objects per file read; glibc keeps freed heap pages resident, and the caller
// (backup) then allocates its own buffers on top: 279 MiB peak at 10 M blobs before this, against
// 180 MiB with the index already built.
void ReleaseFreedMemory() {
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
}

}  // namespace

Id DiskIndex::KeyFor(const std::vector<Id>& index_files) {
  std::vector<Id> sorted = index_files;
  std::sort(sorted.begin(), sorted.end());
  core::Bytes all;
  all.reserve(sorted.size() * sizeof(Id));
  for (const Id& id : sorted) {
    all.insert(all.end(), id.begin(), id.end());
  }
  return Sha256(all);
}

std::string DiskIndex::FileNameFor(const Id& key) {
  return kFilePrefix + IdToHex(key) + kFileSuffix;
}

core::Result<std::unique_ptr<DiskIndex>> DiskIndex::OpenFile(const std::string& path,
                                                             const Id& key) {
  core::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return core::ErrnoStatus("open blob index '" + path + "'", errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return core::ErrnoStatus("stat blob index '" + path + "'", errno);
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  DiskIndexHeader header;
  if (size < kDiskIndexHeaderSize ||
      ::pread(fd.get(), &header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header))) {
    return core::Corruption("blob index '" + path + "' is shorter than its header");
  }
  if (header.magic != kDiskIndexMagic || header.key != key) {
    return core::Corruption("blob index '" + path + "' is not the index of these index files");
  }
  const uint64_t expected = kDiskIndexHeaderSize + header.records * sizeof(DiskIndexRecord) +
                            kDiskIndexFanout * sizeof(uint64_t) + header.packs * sizeof(Id) +
                            uint64_t{header.index_files} * sizeof(Id);
  if (header.records > (uint64_t{1} << 40) || header.packs > kDiskIndexTreeBit ||
      expected != size) {
    return core::Corruption("blob index '" + path + "' has the wrong size");
  }
  HS_ASSIGN_OR_RETURN(uint32_t crc, CrcAfterHeader(fd.get(), size));
  if (crc != header.crc) {
    return core::Corruption("blob index '" + path + "' fails its checksum");
  }
  std::unique_ptr<DiskIndex> index(new DiskIndex());
  index->path_ = path;
  index->records_ = header.records;
  index->packs_ = header.packs;
  HS_ASSIGN_OR_RETURN(index->fanout_, ReadDiskIndexFanout(fd.get(), header.records));
  index->covered_.resize(header.index_files);
  const uint64_t files_at = size - uint64_t{header.index_files} * sizeof(Id);
  HS_ASSIGN_OR_RETURN(size_t got,
                      core::PreadFull(fd.get(),
                                      {reinterpret_cast<uint8_t*>(index->covered_.data()),
                                       index->covered_.size() * sizeof(Id)},
                                      files_at, "read blob index '" + path + "'"));
  if (got != index->covered_.size() * sizeof(Id)) {
    return core::Corruption("blob index '" + path + "' is shorter than its header says");
  }
  index->fd_ = std::move(fd);
  return index;
}

core::Result<std::unique_ptr<DiskIndex>> DiskIndex::OpenCovering(const std::string& dir,
                                                                 const std::vector<Id>& index_files,
                                                                 size_t max_missing) {
  std::vector<Id> wanted = index_files;
  std::sort(wanted.begin(), wanted.end());
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const size_t prefix = std::string(kFilePrefix).size();
    const size_t suffix = std::string(kFileSuffix).size();
    if (name.size() != prefix + 64 + suffix || name.rfind(kFilePrefix, 0) != 0) {
      continue;
    }
    auto key = IdFromHex(name.substr(prefix, 64));
    if (!key.ok()) {
      continue;
    }
    auto candidate = OpenFile(entry.path().string(), *key);
    if (!candidate.ok()) {
      continue;
    }
    // Only a subset will do: an index file that is gone (prune rewrote the index) may have taken
    // blobs with it, and the file would still say they are stored.
    const std::vector<Id>& covered = (*candidate)->covered_;
    if (!std::includes(wanted.begin(), wanted.end(), covered.begin(), covered.end())) {
      continue;
    }
    std::vector<Id> missing;
    std::set_difference(wanted.begin(), wanted.end(), covered.begin(), covered.end(),
                        std::back_inserter(missing));
    if (missing.size() <= max_missing) {
      (*candidate)->missing_ = std::move(missing);
      return candidate;
    }
  }
  return core::NotFound("no cached blob index covers part of these index files");
}

core::Result<std::unique_ptr<DiskIndex>> DiskIndex::Open(const std::vector<Id>& index_files,
                                                         const IndexFileLoader& load,
                                                         const DiskIndexOpenOptions& options) {
  const Id key = KeyFor(index_files);
  const std::string name = FileNameFor(key);
  const std::string path = options.dir + "/" + name;
  auto cached = OpenFile(path, key);
  if (cached.ok()) {
    return cached;
  }
  if (cached.status().code() == core::ErrorCode::kCorruption) {
    core::LogWarn("rebuilding the blob index cache", {{"reason", cached.status().message()}});
  } else if (options.max_missing_files > 0) {
    auto covering = OpenCovering(options.dir, index_files, options.max_missing_files);
    if (covering.ok()) {
      return covering;
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return core::StorageError("cannot create the index cache directory '" + options.dir +
                              "': " + ec.message());
  }
  ::chmod(options.dir.c_str(), 0700);
  const auto start = core::SystemClock::Get().Monotonic();
  HS_ASSIGN_OR_RETURN(DiskIndexBuildStats stats,
                      BuildDiskIndex(path, key, index_files, load, options.build));
  ReleaseFreedMemory();
  const std::chrono::duration<double> took = core::SystemClock::Get().Monotonic() - start;
  core::LogInfo("built the on-disk blob index",
                {{"index_files", std::to_string(index_files.size())},
                 {"blobs", std::to_string(stats.blobs)},
                 {"runs", std::to_string(stats.runs)},
                 {"seconds", std::to_string(took.count())}});
  HS_ASSIGN_OR_RETURN(auto index, OpenFile(path, key));
  index->built_ = true;
  index->build_stats_ = stats;
  RemoveStale(options.dir, name);
  return index;
}

DiskIndex::~DiskIndex() = default;

core::Result<Id> DiskIndex::PackAt(uint32_t number) const {
  Id pack;
  const uint64_t at = kDiskIndexHeaderSize + records_ * sizeof(DiskIndexRecord) +
                      kDiskIndexFanout * sizeof(uint64_t) + uint64_t{number} * sizeof(Id);
  HS_ASSIGN_OR_RETURN(size_t got, core::PreadFull(fd_.get(), {pack.data(), pack.size()}, at,
                                                  "read blob index '" + path_ + "'"));
  if (got != pack.size()) {
    return core::StorageError("blob index '" + path_ + "' ended early");
  }
  return pack;
}

PackedBlob DiskIndex::BlobOf(const DiskIndexRecord& record) {
  PackedBlob blob;
  blob.id = record.id;
  blob.type = record.type();
  blob.offset = record.offset;
  blob.length = record.length;
  blob.uncompressed_length = record.uncompressed_length;
  return blob;
}

std::optional<DiskIndexRecord> DiskIndex::FindRecord(const Id& blob_id, BlobType type) const {
  DiskIndexRecord record;
  auto at = FindDiskIndexRecord(fd_.get(), fanout_, records_, blob_id, type, &record);
  if (!at.ok()) {
    // A read error of the local cache file: "not stored" makes backup store the blob again (safe)
    // and check or restore report it missing, not crash as a fault on a mapping would.
    core::LogWarn("cannot read the blob index",
                  {{"path", path_}, {"reason", at.status().message()}});
    return std::nullopt;
  }
  if (!*at) {
    return std::nullopt;
  }
  return record;
}

bool DiskIndex::Has(const Id& blob_id, BlobType type) const {
  return FindRecord(blob_id, type).has_value();
}

std::optional<BlobLocation> DiskIndex::Lookup(const Id& blob_id, BlobType type) const {
  const std::optional<DiskIndexRecord> record = FindRecord(blob_id, type);
  if (!record) {
    return std::nullopt;
  }
  auto pack = PackAt(record->pack_number());
  if (!pack.ok()) {
    core::LogWarn("cannot read the blob index",
                  {{"path", path_}, {"reason", pack.status().message()}});
    return std::nullopt;
  }
  BlobLocation location;
  location.pack_id = *pack;
  location.blob = BlobOf(*record);
  return location;
}

core::Status DiskIndex::ForEachBlob(
    const std::function<void(const Id& pack, const PackedBlob& blob)>& fn) const {
  std::vector<DiskIndexRecord> buffer(4096);
  for (uint64_t first = 0; first < records_; first += buffer.size()) {
    const uint64_t count = std::min<uint64_t>(buffer.size(), records_ - first);
    HS_TRY(ReadDiskIndexRecords(fd_.get(), first, count, buffer.data()));
    for (uint64_t i = 0; i < count; ++i) {
      HS_ASSIGN_OR_RETURN(Id pack, PackAt(buffer[i].pack_number()));
      fn(pack, BlobOf(buffer[i]));
    }
  }
  return core::Status::Ok();
}

}  // namespace hasteward::repo
