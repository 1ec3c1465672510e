#include "repo/index/disk_index.h"

#include <algorithm>
#include <filesystem>
#include <iterator>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/fd.h"
#include "core/log.h"
#include "repo/index/disk_index_format.h"

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
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.get(), 0);
  if (map == MAP_FAILED) {
    return core::ErrnoStatus("map blob index '" + path + "'", errno);
  }
  // Lookups are scattered: read-ahead would only make pages resident that no lookup wants.
  ::madvise(map, size, MADV_RANDOM);
  std::unique_ptr<DiskIndex> index(new DiskIndex());
  index->path_ = path;
  index->map_ = static_cast<const uint8_t*>(map);
  index->map_size_ = size;
  index->records_ = header.records;
  index->packs_ = header.packs;
  const uint8_t* files = index->map_ + size - uint64_t{header.index_files} * sizeof(Id);
  index->covered_.resize(header.index_files);
  std::memcpy(index->covered_.data(), files, index->covered_.size() * sizeof(Id));
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
  HS_ASSIGN_OR_RETURN(DiskIndexBuildStats stats,
                      BuildDiskIndex(path, key, index_files, load, options.build));
  HS_ASSIGN_OR_RETURN(auto index, OpenFile(path, key));
  index->built_ = true;
  index->build_stats_ = stats;
  RemoveStale(options.dir, name);
  return index;
}

DiskIndex::~DiskIndex() {
  if (map_ != nullptr) {
    ::munmap(const_cast<uint8_t*>(map_), map_size_);
  }
}

PackedBlob DiskIndex::BlobAt(uint64_t i, Id* pack) const {
  DiskIndexRecord record;
  std::memcpy(&record, map_ + kDiskIndexHeaderSize + i * sizeof(DiskIndexRecord), sizeof(record));
  const uint8_t* packs = map_ + kDiskIndexHeaderSize + records_ * sizeof(DiskIndexRecord) +
                         kDiskIndexFanout * sizeof(uint64_t);
  std::memcpy(pack->data(), packs + uint64_t{record.pack_number()} * sizeof(Id), sizeof(Id));
  PackedBlob blob;
  blob.id = record.id;
  blob.type = record.type();
  blob.offset = record.offset;
  blob.length = record.length;
  blob.uncompressed_length = record.uncompressed_length;
  return blob;
}

std::optional<BlobLocation> DiskIndex::Lookup(const Id& blob_id, BlobType type) const {
  const uint8_t* records = map_ + kDiskIndexHeaderSize;
  const uint8_t* fanout = records + records_ * sizeof(DiskIndexRecord);
  const std::optional<uint64_t> at = FindRecord(records, fanout, records_, blob_id, type);
  if (!at) {
    return std::nullopt;
  }
  BlobLocation location;
  location.blob = BlobAt(*at, &location.pack_id);
  return location;
}

void DiskIndex::ForEachBlob(
    const std::function<void(const Id& pack, const PackedBlob& blob)>& fn) const {
  Id pack;
  for (uint64_t i = 0; i < records_; ++i) {
    PackedBlob blob = BlobAt(i, &pack);
    fn(pack, blob);
  }
}

}  // namespace hasteward::repo
