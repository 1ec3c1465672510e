#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_stream.h"
#include "core/clock.h"
#include "core/page_buffer.h"
#include "core/status.h"
#include "repo/backup/blob_pipeline.h"
#include "repo/backup/file_chunker.h"
#include "repo/compress/zstd_codec.h"
#include "repo/lock/repo_lock.h"
#include "repo/repository.h"

namespace hasteward::repo {

struct BackupProgress {
  uint64_t bytes_read = 0;
  uint64_t bytes_stored = 0;
  double seconds = 0;
};

struct BackupSummary {
  Id snapshot_id{};
  Id tree_id{};
  uint64_t files = 0;
  uint64_t bytes_read = 0;
  uint64_t chunks = 0;
  uint64_t chunks_new = 0;
  uint64_t bytes_new = 0;     // plaintext bytes of new blobs
  uint64_t bytes_stored = 0;  // pack bytes written
  size_t packs_written = 0;
  double seconds = 0;
};

// Attributes of a file, directory or symlink node. Unset values take the defaults of a stdin
// backup: the snapshot time, this process's uid/gid, 0644 files and 0755 directories.
struct NodeAttributes {
  std::optional<uint32_t> permissions;  // POSIX bits 07777 (setuid, setgid, sticky kept)
  std::optional<GoTime> mtime;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::string user;  // owner names; omitted when empty
  std::string group;
};

struct SnapshotWriterOptions {
  CompressionOptions compression;
  int threads = 0;  // encoding workers; 0 = one per core
  size_t pack_size = size_t{16} * 1024 * 1024;
  size_t max_in_flight_bytes = size_t{8} * 1024 * 1024;  // chunk bytes queued for workers
  // How long to wait for an exclusive lock held by someone else (restic's --retry-lock).
  std::chrono::milliseconds lock_wait{0};
  // Off: the repository's index is not loaded and every blob is stored, deduplicated only within
  // this writer. For content that almost never repeats (WAL segments), where loading an index that
  // grows with the repository would cost each small write more than the duplicates it avoids;
  // duplicate blobs are legal in restic's format and prune removes them.
  bool dedup_against_repository = true;
  // Chunk buffers kept across writers (blob_pipeline.h); null: the writer's own.
  std::shared_ptr<ChunkBufferPool> chunk_buffers;
  std::function<void(const BackupProgress&)> progress;   // called from the adding thread
  const core::Clock* clock = &core::SystemClock::Get();  // snapshot time, lock, durations
};

struct CommitOptions {
  std::vector<std::string> tags;   // stored in order; "a,b" is split like restic does
  std::optional<GoTime> time;      // snapshot time and default node time; default: now, local zone
  std::string hostname;            // default: this host
  std::vector<std::string> paths;  // the snapshot's "paths"; default: "/<name>" of each top entry
};

// Writes one snapshot holding a tree of files, directories and symlinks (restic's tree format,
// readable by stock restic). Open takes a shared repository lock and loads the index once (unless
// dedup_against_repository is off); then
// any number of files are added (each chunked content-defined or in fixed-size blocks) through
// one pool of encoding workers, so a batch of many small files (WAL segments) costs one lock,
// one index load and a few packs. Commit writes the trees, the index and then the snapshot,
// only after every pack and index file is durable. Abort, a failure, or destruction without
// Commit leaves no snapshot (stored packs are indexed so a retry deduplicates against them; the
// next prune removes them). One thread adds at a time; one file is open at a time.
class SnapshotWriter {
 public:
  // Errors: kLocked (an exclusive lock stayed for lock_wait), index load errors.
  static core::Result<std::unique_ptr<SnapshotWriter>> Open(Repository& repo,
                                                            const SnapshotWriterOptions& options);
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  // Adds a directory (or sets the attributes of one created implicitly as a parent). Paths are
  // relative to the snapshot root ("ns/cluster/pgdata"); a leading '/' is ignored.
  core::Status AddDirectory(const std::string& path, const NodeAttributes& attributes = {});
  core::Status AddSymlink(const std::string& path, const std::string& target,
                          const NodeAttributes& attributes = {});

  // Starts a file; its bytes follow with Append, FinishFile ends it (and returns its size).
  core::Status BeginFile(const std::string& path, const NodeAttributes& attributes = {},
                         const Chunking& chunking = {});
  core::Status Append(core::ByteView data);
  core::Result<uint64_t> FinishFile();
  // Continues the open file with `length` bytes held by the data blob `id`, which is already in
  // the repository (an incremental backup's unchanged block, taken from its parent's tree): no
  // byte is read or encoded, the file's content names the blob. Only at a chunk boundary of a
  // fixed-size chunking, for a whole block (`length` equal to the block size) or a shorter last
  // one (nothing may follow it). kUsage when the
  // index does not know the blob or its plaintext length is not `length`: the caller reads the
  // block instead. Counted in reused_bytes(), not bytes_read().
  core::Status AppendStoredBlob(const Id& id, uint64_t length);
  // A whole file read from `source` until its end.
  core::Result<uint64_t> AddFile(const std::string& path, core::ByteSource& source,
                                 const NodeAttributes& attributes = {},
                                 const Chunking& chunking = {});

  // Errors: kLocked (the lock was lost), storage errors, a failed worker's error; then no
  // snapshot exists and the writer is aborted.
  core::Result<BackupSummary> Commit(const CommitOptions& options);
  // Drops everything added; no snapshot. Idempotent.
  void Abort();

  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t reused_bytes() const { return reused_bytes_; }

 private:
  struct Entry;
  struct OpenFile;
  enum class State { kOpen, kCommitted, kAborted };

  SnapshotWriter(Repository& repo, const SnapshotWriterOptions& options);
  core::Result<Entry*> Place(const std::string& path, const std::string& type);
  core::Status PushChunk();
  core::Status Usable() const;
  core::Result<Id> SaveTree(Entry& dir, const GoTime& time);
  core::Result<BackupSummary> CommitDrained(const CommitOptions& options);

  Repository& repo_;
  SnapshotWriterOptions options_;
  std::unique_ptr<RepoLock> lock_;
  std::unique_ptr<BlobPipeline> pipeline_;
  FileChunker chunker_;
  std::unique_ptr<Entry> root_;
  std::unique_ptr<OpenFile> open_file_;
  core::PageBuffer chunk_;
  State state_ = State::kOpen;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_progress_;
  uint64_t bytes_read_ = 0;
  uint64_t reused_bytes_ = 0;
  uint64_t files_ = 0;
  uint64_t chunks_ = 0;
};

// Splits "--tag a,b" values like restic: on commas, trimmed, empties dropped.
std::vector<std::string> NormalizeTags(const std::vector<std::string>& tags);

}  // namespace hasteward::repo
