// core/pread_full: one positioned read of a whole range, over the short reads and EINTR that
// pread may return (the WAL reader, the data-file reads of an incremental backup, the on-disk blob
// index).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"

namespace hasteward::core {

// Reads buf.size() bytes at `offset` of `fd`; fewer only at the end of the file. Errors name
// `what` ("read blob index", "read '<path>'") with the errno.
Result<size_t> PreadFull(int fd, std::span<uint8_t> buf, uint64_t offset, const std::string& what);

}  // namespace hasteward::core
