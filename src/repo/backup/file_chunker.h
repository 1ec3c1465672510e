#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"
#include "repo/chunker/chunker.h"

namespace hasteward::repo {

enum class ChunkingKind {
  // restic's content-defined chunker (512 KiB .. 8 MiB): inserted or removed bytes shift the
  // cuts with the content, so streams such as dumps deduplicate across backups.
  kContentDefined,
  // Blobs of exactly block_size bytes at fixed offsets (the last one shorter): for data files
  // whose pages change in place, a changed page re-stores only its own blob. Any blob size is
  // valid in the restic format, so stock restic reads these files too.
  kFixedSize,
};

struct Chunking {
  ChunkingKind kind = ChunkingKind::kContentDefined;
  size_t block_size = 0;  // kFixedSize only

  static Chunking ContentDefined() { return {}; }
  static Chunking FixedSize(size_t block_size) { return {ChunkingKind::kFixedSize, block_size}; }
  // kUsage unless a fixed block size is within kMinFixedBlock .. Chunker::kMaxSize.
  core::Status Validate() const;
  // The largest chunk this chunking produces (the buffer size a chunk needs).
  size_t MaxChunkSize() const;
};

constexpr size_t kMinFixedBlock = 512;

// Finds the chunk boundaries of one file at a time with the chosen chunking.
class FileChunker {
 public:
  explicit FileChunker(uint64_t polynomial) : content_defined_(polynomial) {}

  // Starts a new file.
  void Reset(const Chunking& chunking);
  // Continues the current chunk with data[0..n). Returns how many bytes belong to it and sets
  // *cut when the chunk ends after them; without a cut the whole input is consumed.
  size_t Scan(const uint8_t* data, size_t n, bool* cut);

 private:
  Chunker content_defined_;
  Chunking chunking_;
  size_t fixed_filled_ = 0;  // bytes of the current fixed-size chunk
};

}  // namespace hasteward::repo
