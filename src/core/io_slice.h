// Large reads and writes in slices. One read or write system call moves at most kMaxIoSlice bytes.
// Measured on the 2-core virtual machine this is developed on (docs/performance.md, "I/O in
// slices"): one 16 MiB pwrite into a new file took 12-57 ms and the same bytes in 1 MiB calls
// 2.2 ms; one 16 MiB pread took 16 ms and 1 MiB calls 3.2 ms. Below 1 MiB the per-call cost
// starts to show (64 KiB: 2.8 ms). core::WriteAll and core::ReadSome (fd.h) slice the same way.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/byte_stream.h"
#include "core/status.h"

namespace hasteward::core {

inline constexpr size_t kMaxIoSlice = size_t{1} << 20;

// Writes all of `data` at `offset` (pwrite; the file position is neither used nor moved), in
// calls of at most kMaxIoSlice, retrying on EINTR and short writes.
Status WriteAllAt(int fd, ByteView data, uint64_t offset);

}  // namespace hasteward::core
