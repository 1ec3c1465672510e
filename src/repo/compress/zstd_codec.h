#pragma once

#include <cstdint>
#include <span>

#include "core/byte_stream.h"
#include "core/status.h"

namespace hasteward::repo {

// Compression settings. restic's "auto" is zstd level 3; we default to level 1, which is 3.5x
// faster on database dumps for a few percent more space, and any level reads everywhere.
struct CompressionOptions {
  bool enabled = true;
  int level = 1;
  // "auto" or nothing chosen: a caller that knows its data compresses better at another level may
  // replace `level` (WithAutomaticLevel); an explicit level or "off" is always kept.
  bool automatic = true;

  // These options with `automatic_level` as the level when the user chose "auto"; unchanged
  // when a level or "off" was chosen explicitly.
  CompressionOptions WithAutomaticLevel(int automatic_level) const {
    CompressionOptions options = *this;
    if (automatic) {
      options.level = automatic_level;
    }
    return options;
  }
};

// Parses "auto"|"off"|"max"|"fastest"|"<level>" (restic's names plus explicit levels); only
// "auto" (or "") sets `automatic`.
core::Result<CompressionOptions> ParseCompression(const std::string& s);

// One zstd frame without checksum (as restic writes), appended to `out`. Thread-safe (per-thread
// contexts).
void ZstdCompressAppend(core::ByteView in, int level, core::Bytes* out);

// Decompresses one frame. `expected_size` (0 = unknown) bounds the output; a size mismatch is
// kCorruption.
core::Status ZstdDecompress(core::ByteView in, size_t expected_size, core::Bytes* out);

// Decompresses one frame into `out`, whose size is the frame's exact content size (a restore
// knows it from the index): no buffer is grown or zeroed. Any other size is kCorruption.
core::Status ZstdDecompressTo(core::ByteView in, std::span<uint8_t> out);

}  // namespace hasteward::repo
