#include "repo/index/disk_index_ordinals.h"

#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fd.h"
#include "repo/index/disk_index_format.h"

namespace hasteward::repo {

core::Result<std::unique_ptr<DiskIndexOrdinals>> DiskIndexOrdinals::Open(const DiskIndex& index) {
  const std::string& path = index.path();
  core::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return core::ErrnoStatus("open blob index '" + path + "'", errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return core::ErrnoStatus("stat blob index '" + path + "'", errno);
  }
  DiskIndexHeader header;
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < kDiskIndexHeaderSize ||
      ::pread(fd.get(), &header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header)) ||
      header.records != index.BlobCount() ||
      size < kDiskIndexHeaderSize + header.records * sizeof(DiskIndexRecord) +
                 kDiskIndexFanout * sizeof(uint64_t)) {
    return core::Corruption("blob index '" + path + "' changed since it was verified")
        .WithHint("another process rebuilt the index cache; run the command again");
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.get(), 0);
  if (map == MAP_FAILED) {
    return core::ErrnoStatus("map blob index '" + path + "'", errno);
  }
  ::madvise(map, size, MADV_RANDOM);
  std::unique_ptr<DiskIndexOrdinals> view(new DiskIndexOrdinals());
  view->map_ = static_cast<const uint8_t*>(map);
  view->map_size_ = size;
  view->records_ = header.records;
  return view;
}

DiskIndexOrdinals::~DiskIndexOrdinals() {
  if (map_ != nullptr) {
    ::munmap(const_cast<uint8_t*>(map_), map_size_);
  }
}

void DiskIndexOrdinals::CountLookup() const {
  // Why drop pages at all: a file mapping's touched pages count as this process's resident memory
  // until unmapped, and marking 10 M blobs touches every page of a 458 MiB file. MADV_DONTNEED
  // on a read-only shared file mapping only unmaps them here (another thread reading meanwhile
  // faults the same bytes back from the page cache).
  if ((lookups_.fetch_add(1, std::memory_order_relaxed) + 1) % kLookupsPerRelease == 0) {
    ::madvise(const_cast<uint8_t*>(map_), map_size_, MADV_DONTNEED);
  }
}

std::optional<uint64_t> DiskIndexOrdinals::Find(const Id& blob_id, BlobType type) const {
  CountLookup();
  const uint8_t* records = map_ + kDiskIndexHeaderSize;
  const uint8_t* fanout = records + records_ * sizeof(DiskIndexRecord);
  return FindRecord(records, fanout, records_, blob_id, type);
}

std::pair<Id, BlobType> DiskIndexOrdinals::BlobAt(uint64_t ordinal) const {
  DiskIndexRecord record;
  std::memcpy(&record, map_ + kDiskIndexHeaderSize + ordinal * sizeof(DiskIndexRecord),
              sizeof(record));
  return {record.id, record.type()};
}

}  // namespace hasteward::repo
