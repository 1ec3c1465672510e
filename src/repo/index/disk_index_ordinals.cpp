#include "repo/index/disk_index_ordinals.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo/index/disk_index_read.h"

namespace hasteward::repo {

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
  HS_ASSIGN_OR_RETURN(view->fanout_, ReadDiskIndexFanout(view->fd_.get(), header.records));
  return view;
}

core::Result<std::optional<uint64_t>> DiskIndexOrdinals::Find(const Id& blob_id,
                                                              BlobType type) const {
  DiskIndexRecord record;
  return FindDiskIndexRecord(fd_.get(), fanout_, records_, blob_id, type, &record);
}

core::Result<std::pair<Id, BlobType>> DiskIndexOrdinals::BlobAt(uint64_t ordinal) const {
  DiskIndexRecord record;
  HS_TRY(ReadDiskIndexRecords(fd_.get(), ordinal, 1, &record));
  return std::make_pair(record.id, record.type());
}

}  // namespace hasteward::repo
