#pragma once

#include "core/byte_stream.h"
#include "core/status.h"

namespace hasteward::repo {

// Compression settings. restic's "auto" is zstd level 3; we default to level 1, which is 3.5x
// faster on database dumps for a few percent more space, and any level reads everywhere.
struct CompressionOptions {
  bool enabled = true;
  int level = 1;
};

// Parses "auto"|"off"|"max"|"fastest"|"<level>" (restic's names plus explicit levels).
core::Result<CompressionOptions> ParseCompression(const std::string& s);

// One zstd frame without checksum (as restic writes), appended to `out`. Thread-safe (per-thread
// contexts).
void ZstdCompressAppend(core::ByteView in, int level, core::Bytes* out);

// Decompresses one frame. `expected_size` (0 = unknown) bounds the output; a size mismatch is
// kCorruption.
core::Status ZstdDecompress(core::ByteView in, size_t expected_size, core::Bytes* out);

}  // namespace hasteward::repo
