// repo/index/disk_index_read: reading a verified on-disk blob index file (disk_index_format.h)
// with pread, never through a memory mapping. Mapped pages a process touched count in its resident
// set until it unmaps them: a check that looked up its 4.4 M used blobs through a mapping of the
// 10 M-blob file held 584 MiB of it. A read leaves nothing behind but the caller's buffer; the
// kernel's page cache, which keeps the file warm, is not the process's memory.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/status.h"
#include "repo/index/disk_index_format.h"

namespace hasteward::repo {

// Records [first, first + count) of the file of `records` records open as `fd`, into `out`.
core::Status ReadDiskIndexRecords(int fd, uint64_t first, uint64_t count, DiskIndexRecord* out);

// The cumulative fanout table (kDiskIndexFanout counts) of a file of `records` records.
core::Result<std::vector<uint64_t>> ReadDiskIndexFanout(int fd, uint64_t records);

// The number of the record of (id, type), and the record itself in `found`, by the fanout table
// and one read of its bucket (~150 records at 10 M blobs; a bucket of more than 4096 records is
// first narrowed by single-record reads). nullopt when the file does not list it. Thread-safe.
core::Result<std::optional<uint64_t>> FindDiskIndexRecord(int fd,
                                                          const std::vector<uint64_t>& fanout,
                                                          uint64_t records, const Id& id,
                                                          BlobType type, DiskIndexRecord* found);

}  // namespace hasteward::repo
