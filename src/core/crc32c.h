#pragma once

#include <cstdint>

#include "core/byte_stream.h"

namespace hasteward::core {

// CRC-32C (Castagnoli), the checksum PostgreSQL's backup manifest records for every file by
// default. Extend continues a running checksum over the next bytes, so a file can be checked as it
// is written, batch by batch: Crc32cExtend(Crc32cExtend(0, a), b) == Crc32cExtend(0, a + b).
// Uses the CPU's crc32 instruction where there is one (x86-64 with SSE 4.2), else a table.
uint32_t Crc32cExtend(uint32_t crc, ByteView data);

inline uint32_t Crc32c(ByteView data) {
  return Crc32cExtend(0, data);
}

}  // namespace hasteward::core
