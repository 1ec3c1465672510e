#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"

namespace hasteward::repo {

// scrypt (RFC 7914) with its p independent ROMix lanes computed on up to `threads` threads
// (0 = one per core). Every repository command derives a key from the password first, and
// restic's key files use p = 4, so on a multi-core machine this cuts the fixed start-up cost
// of each command by the number of cores used. The result equals any conforming scrypt.
// Memory: 128 * r * N bytes per thread in use; threads are reduced so the total stays under
// `max_memory`. N must be a power of two > 1. Errors are kUsage (bad parameters).
core::Status Scrypt(const std::string& password, core::ByteView salt, uint64_t n, uint32_t r,
                    uint32_t p, uint8_t* out, size_t out_len, int threads = 0,
                    uint64_t max_memory = 1ULL << 30);

}  // namespace hasteward::repo
