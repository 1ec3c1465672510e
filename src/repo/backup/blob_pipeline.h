#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/page_buffer.h"
#include "core/status.h"
#include "repo/backup/chunk_buffer_pool.h"
#include "repo/backup/chunk_queue.h"
#include "repo/backup/packer_pool.h"
#include "repo/compress/zstd_codec.h"
#include "repo/repository.h"

namespace hasteward::repo {

struct BlobPipelineOptions {
  CompressionOptions compression;
  int threads = 0;  // encoding workers; 0 = one per core
  size_t pack_size = size_t{16} * 1024 * 1024;
  size_t max_in_flight_bytes = size_t{8} * 1024 * 1024;  // chunk bytes queued for workers
  // Where chunk buffers come from and go back to; null: a pool of the pipeline's own, with the
  // default limits. A caller that writes snapshot after snapshot passes one it keeps.
  std::shared_ptr<ChunkBufferPool> chunk_buffers;
};

// The data path of a backup: chunks pushed by one reading thread are hashed, deduplicated
// against the index, compressed, encrypted and packed by a pool of workers, with memory bounded by
// max_in_flight_bytes plus one open pack per blob type. Chunks belong to numbered files (NewFile)
// and carry their position in that file, so many files flow through one pool and one set of
// packs without waiting for each other. Owns its worker threads (joined by Drain or destruction).
class BlobPipeline {
 public:
  BlobPipeline(Repository& repo, const BlobPipelineOptions& options);
  ~BlobPipeline();
  BlobPipeline(const BlobPipeline&) = delete;
  BlobPipeline& operator=(const BlobPipeline&) = delete;

  // A new file slot; its chunks are numbered 0, 1, ... in file order.
  size_t NewFile();
  // A buffer able to hold `capacity` bytes, recycled when possible.
  core::Result<core::PageBuffer> TakeBuffer(size_t capacity);
  // Queues chunk `seq` of `file`; blocks while the queue is over budget. False once the
  // pipeline failed (error() says why).
  bool Push(size_t file, uint64_t seq, core::PageBuffer&& data);

  // Records `id`, a data blob already stored, as chunk `seq` of `file` without encoding anything.
  void Reference(size_t file, uint64_t seq, const Id& id);

  // Lets the workers finish the queued chunks and joins them; the open packs stay for Flush.
  core::Status Drain();
  // Stops the workers at once, dropping queued chunks.
  void Abort();

  // The data blob IDs of a file in order (after Drain).
  std::vector<Id> TakeContent(size_t file);
  // Stores a tree blob (compressed, as restic does for repository version 2) unless present.
  core::Result<Id> SaveTree(const std::string& json);
  // Saves the open packs (at the same time) and returns once they are durable.
  core::Status Flush() { return pool_.Flush(); }
  // Writes index files for the packs saved since the last call (50000 blobs per file).
  core::Status SaveIndex();

  void Fail(core::Status status);
  bool failed() const { return failed_; }
  core::Status error() const;

  uint64_t chunks_new() const;
  uint64_t bytes_new() const;
  uint64_t bytes_stored() const { return pool_.bytes_stored(); }
  size_t packs_saved() const { return pool_.packs_saved(); }

 private:
  void Worker();
  void ReturnBuffer(core::PageBuffer&& buffer);
  void Join();

  Repository& repo_;
  BlobPipelineOptions options_;
  PackerPool pool_;
  ChunkQueue queue_;
  mutable std::mutex mu_;  // contents_, counters, error_
  std::vector<std::vector<Id>> contents_;
  uint64_t chunks_new_ = 0;
  uint64_t bytes_new_ = 0;
  core::Status error_;
  std::atomic<bool> failed_{false};
  std::shared_ptr<ChunkBufferPool> buffers_;
  std::vector<std::thread> workers_;
};

}  // namespace hasteward::repo
