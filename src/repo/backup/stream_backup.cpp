#include "repo/backup/stream_backup.h"

#include <chrono>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "core/failpoint.h"
#include "core/log.h"
#include "core/page_buffer.h"
#include "core/stop_signal.h"
#include "repo/backup/chunk_queue.h"
#include "repo/backup/packer_pool.h"
#include "repo/chunker/chunker.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::repo {

namespace {

core::Status StopCheck() {
  core::Status stopped = core::StopStatus();
  return stopped.ok() ? stopped : stopped.Wrap("backup aborted, no snapshot was saved");
}

using Clock = std::chrono::steady_clock;
constexpr size_t kReadSize = 1 << 20;
constexpr size_t kMaxBlobsPerIndex = 50000;
constexpr uint32_t kFileMode = 0644;
constexpr uint32_t kDirMode = kGoModeDir | 0755;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Shared state of one backup run.
struct Run {
  Run(Repository& r, const BackupOptions& o)
      : repo(r), opts(o), pool(r, o.pack_size), queue(o.max_in_flight_bytes) {}

  Repository& repo;
  const BackupOptions& opts;
  PackerPool pool;
  ChunkQueue queue;
  std::mutex mu;
  std::vector<Id> content;
  uint64_t chunks_new = 0;
  uint64_t bytes_new = 0;
  core::Status error;
  std::atomic<bool> failed{false};

  void Fail(core::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    if (error.ok())
      error = std::move(s);
    failed = true;
    queue.Abort();
  }

  // Chunk buffers are recycled between the reader and the workers: a fresh buffer costs a page
  // fault per 4 KiB. Each buffer has room for the largest chunk (address space only), so a chunk
  // is appended once and never moved. A returned buffer keeps at most kKeepPerBuffer mapped and
  // is kept only while the kept buffers' pages stay under kFreeBudget, so resident memory stays
  // near the queued bytes whatever the chunk sizes.
  static constexpr size_t kKeepPerBuffer = size_t{3} * 1024 * 1024;
  static constexpr size_t kFreeBudget = size_t{8} * 1024 * 1024;
  std::mutex free_mu;
  std::vector<core::PageBuffer> free_buffers;
  size_t free_touched = 0;

  core::Result<core::PageBuffer> TakeBuffer() {
    {
      std::lock_guard<std::mutex> lock(free_mu);
      if (!free_buffers.empty()) {
        core::PageBuffer b = std::move(free_buffers.back());
        free_buffers.pop_back();
        free_touched -= b.touched();
        return b;
      }
    }
    return core::PageBuffer::Create(Chunker::kMaxSize);
  }

  void ReturnBuffer(core::PageBuffer&& b) {
    b.Clear();
    b.Trim(kKeepPerBuffer);
    std::lock_guard<std::mutex> lock(free_mu);
    if (free_touched + b.touched() <= kFreeBudget) {
      free_touched += b.touched();
      free_buffers.push_back(std::move(b));
    }
  }

  void Worker() {
    core::Bytes scratch;
    core::Bytes encrypted;
    while (auto chunk = queue.Pop()) {
      Id id = Sha256(chunk->data);
      {
        std::lock_guard<std::mutex> lock(mu);
        if (content.size() <= chunk->seq)
          content.resize(chunk->seq + 1);
        content[chunk->seq] = id;
      }
      if (!pool.Claim(id, BlobType::kData)) {
        ReturnBuffer(std::move(chunk->data));
        continue;
      }
      uint32_t ulen = EncodeBlobInto(repo.key(), chunk->data, opts.compression.enabled,
                                     opts.compression.level, &scratch, &encrypted);
      size_t plain = chunk->data.size();
      ReturnBuffer(std::move(chunk->data));  // before the (possibly slow) pack upload
      core::Status s = pool.Add(id, BlobType::kData, encrypted, ulen);
      if (!s.ok()) {
        Fail(std::move(s));
        return;
      }
      std::lock_guard<std::mutex> lock(mu);
      ++chunks_new;
      bytes_new += plain;
    }
  }
};

core::Result<uint64_t> ReadAndChunk(Run& run, core::ByteSource& source, Clock::time_point start) {
  Chunker chunker(run.repo.config().chunker_polynomial);
  core::Bytes buf(kReadSize);
  HS_ASSIGN_OR_RETURN(core::PageBuffer cur, run.TakeBuffer());
  uint64_t seq = 0;
  uint64_t total = 0;
  auto last_progress = Clock::now();
  auto push = [&]() -> core::Result<bool> {
    Chunk c{seq++, std::move(cur)};
    HS_ASSIGN_OR_RETURN(cur, run.TakeBuffer());
    return run.queue.Push(std::move(c));
  };
  while (!run.failed) {
    auto n = source.Read(buf);
    if (!n.ok()) {
      return n.TakeStatus();
    }
    if (*n == 0)
      break;
    total += *n;
    for (size_t pos = 0; pos < *n;) {
      bool cut = false;
      size_t used = chunker.Scan(buf.data() + pos, *n - pos, &cut);
      cur.Append(core::ByteView(buf.data() + pos, used));  // a chunk never exceeds kMaxSize
      pos += used;
      if (cut) {
        HS_ASSIGN_OR_RETURN(bool pushed, push());
        if (!pushed)
          return total;
      }
    }
    if (run.opts.progress && Clock::now() - last_progress > std::chrono::milliseconds(200)) {
      last_progress = Clock::now();
      run.opts.progress(BackupProgress{total, run.pool.bytes_stored(), Since(start)});
    }
  }
  if (cur.size() > 0 && !run.failed) {
    HS_ASSIGN_OR_RETURN(bool pushed, push());
    (void)pushed;
  }
  return total;
}

Node MakeNode(const std::string& name, const std::string& type, const GoTime& t) {
  Node n;
  n.name = name;
  n.type = type;
  n.mode = type == "dir" ? kDirMode : kFileMode;
  n.mtime = n.atime = n.ctime = t;
  n.uid = ::geteuid();
  n.gid = ::getegid();
  return n;
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      if (!cur.empty())
        parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty())
    parts.push_back(cur);
  return parts;
}

core::Result<Id> SaveTree(Run& run, const std::vector<Node>& nodes) {
  std::string json = EncodeTreeJson(nodes);
  Id id = Sha256(core::AsBytes(json));
  if (run.pool.Claim(id, BlobType::kTree)) {
    // Tree blobs are always compressed, as restic does in repository version 2.
    HS_TRY(run.pool.Add(
        EncodeBlob(run.repo.key(), BlobType::kTree, id, core::AsBytes(json), true, 3)));
  }
  return id;
}

// Builds the tree chain for the virtual path; returns the root tree ID.
core::Result<Id> SaveTrees(Run& run, const std::vector<std::string>& parts, uint64_t size,
                           const GoTime& t) {
  Node file = MakeNode(parts.back(), "file", t);
  file.size = size;
  file.content = run.content;
  HS_ASSIGN_OR_RETURN(Id tree, SaveTree(run, {file}));
  for (size_t i = parts.size() - 1; i-- > 0;) {
    Node dir = MakeNode(parts[i], "dir", t);
    dir.subtree = tree;
    HS_ASSIGN_OR_RETURN(tree, SaveTree(run, {dir}));
  }
  return tree;
}

core::Status SaveIndex(Run& run) {
  auto packs = run.pool.TakeSavedPacks();
  IndexFile file;
  size_t blobs = 0;
  for (auto& p : packs) {
    blobs += p.second.size();
    file.packs.push_back(std::move(p));
    if (blobs >= kMaxBlobsPerIndex) {
      HS_TRY(run.repo.SaveUnpacked(storage::FileType::kIndex, EncodeIndexJson(file)).status());
      file = IndexFile();
      blobs = 0;
    }
  }
  if (!file.packs.empty()) {
    HS_TRY(run.repo.SaveUnpacked(storage::FileType::kIndex, EncodeIndexJson(file)).status());
  }
  return core::Status::Ok();
}

}  // namespace

std::vector<std::string> NormalizeTags(const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  for (const auto& t : tags) {
    size_t start = 0;
    while (start <= t.size()) {
      size_t comma = t.find(',', start);
      std::string part =
          t.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      size_t b = part.find_first_not_of(" \t");
      size_t e = part.find_last_not_of(" \t");
      if (b != std::string::npos)
        out.push_back(part.substr(b, e - b + 1));
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
  }
  return out;
}

namespace {

Snapshot MakeSnapshot(const BackupOptions& opts, const GoTime& time, const Id& tree) {
  Snapshot snap;
  snap.time = time;
  snap.tree = tree;
  snap.paths = {"/" + opts.filename.substr(opts.filename.find_first_not_of('/'))};
  snap.hostname = opts.hostname.empty() ? LocalHostname() : opts.hostname;
  snap.username = LocalUsername();
  snap.uid = ::geteuid();
  snap.gid = ::getegid();
  snap.tags = NormalizeTags(opts.tags);
  return snap;
}

}  // namespace

core::Result<BackupSummary> BackupStream(Repository& repo, core::ByteSource& source,
                                         const BackupOptions& opts) {
  auto start = Clock::now();
  std::vector<std::string> parts = SplitPath(opts.filename);
  if (parts.empty()) {
    return core::Usage("invalid --stdin-filename '" + opts.filename + "'");
  }
  HS_ASSIGN_OR_RETURN(auto lock, RepoLock::Acquire(repo, LockOptions{}));
  HS_TRY(repo.LoadIndex());
  Run run(repo, opts);
  int threads = opts.threads > 0
                    ? opts.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i)
    workers.emplace_back([&run] { run.Worker(); });
  auto total = ReadAndChunk(run, source, start);
  if (!total.ok())
    run.Fail(total.status());
  run.queue.Close();
  for (auto& w : workers)
    w.join();
  if (!run.failed) {
    core::Status s = run.pool.Flush();
    if (!s.ok())
      run.Fail(std::move(s));
  }
  // Index what was stored even on failure, so a retry deduplicates against it. The data is
  // unreachable from any snapshot and the next prune removes it.
  core::Status index_status = SaveIndex(run);
  if (run.failed) {
    return core::Status(run.error).Wrap("backup aborted, no snapshot was saved");
  }
  HS_TRY(index_status);
  // A stop signal may have ended the input early (Ctrl-C reaches the producer too, whose EOF then
  // looks complete): never a snapshot after a stop.
  HS_TRY(StopCheck());
  if (*total == 0) {
    return core::Status(core::ErrorCode::kIncompleteInput, "no data read from the input",
                        "an empty dump is not a backup; check the producer of the stream");
  }
  GoTime t = opts.time ? *opts.time : LocalTimeFromUnix(std::time(nullptr), 0);
  HS_ASSIGN_OR_RETURN(Id tree, SaveTrees(run, parts, *total, t));
  HS_TRY(run.pool.Flush());
  core::Failpoint("before-index-save");
  HS_TRY(SaveIndex(run));
  core::Failpoint("before-snapshot-save");
  HS_TRY(StopCheck());
  if (lock->Lost()) {
    return core::Status(core::ErrorCode::kLocked, "repository lock was lost during the backup",
                        "another process removed our lock; no snapshot was saved");
  }
  HS_ASSIGN_OR_RETURN(Id snap_id,
                      repo.SaveUnpacked(storage::FileType::kSnapshot,
                                        EncodeSnapshotJson(MakeSnapshot(opts, t, tree))));
  core::Failpoint("after-snapshot-save");
  HS_TRY(lock->Release());
  BackupSummary sum;
  sum.snapshot_id = snap_id;
  sum.tree_id = tree;
  sum.bytes_read = *total;
  sum.chunks = run.content.size();
  sum.chunks_new = run.chunks_new;
  sum.bytes_new = run.bytes_new;
  sum.bytes_stored = run.pool.bytes_stored();
  sum.packs_written = run.pool.packs_saved();
  sum.seconds = Since(start);
  return sum;
}

}  // namespace hasteward::repo
