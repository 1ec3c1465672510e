#include "repo/restore/file_dumper.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <thread>

#include "core/clock.h"

namespace hasteward::repo {

namespace {

constexpr uint64_t kMaxSpan = uint64_t{8} * 1024 * 1024;

// A run of consecutive file blobs stored in one pack, fetched with one ranged read.
struct Batch {
  Id pack{};
  uint64_t start = 0;
  uint64_t end = 0;
  std::vector<PackedBlob> blobs;  // in file order
  uint64_t plain_bytes = 0;
};

core::Result<std::vector<Batch>> PlanBatches(Repository& repo, const Node& file) {
  std::vector<Batch> batches;
  for (const Id& id : file.content) {
    auto loc = repo.blobs().Lookup(id, BlobType::kData);
    if (!loc) {
      return core::Corruption("data blob '" + IdToHex(id) + "' is missing from the index")
          .WithHint("run 'hasteward repo check' to find the damage");
    }
    uint64_t b_start = loc->blob.offset;
    uint64_t b_end = b_start + loc->blob.length;
    if (!batches.empty()) {
      Batch& last = batches.back();
      uint64_t ns = std::min(last.start, b_start);
      uint64_t ne = std::max(last.end, b_end);
      // Both bounds: a blob repeated in the file (zero pages) adds plaintext, not span.
      if (last.pack == loc->pack_id && ne - ns <= kMaxSpan &&
          last.plain_bytes + loc->blob.PlaintextLength() <= kMaxSpan) {
        last.start = ns;
        last.end = ne;
        last.blobs.push_back(loc->blob);
        last.plain_bytes += loc->blob.PlaintextLength();
        continue;
      }
    }
    batches.push_back(
        Batch{loc->pack_id, b_start, b_end, {loc->blob}, loc->blob.PlaintextLength()});
  }
  return batches;
}

// One batch's plaintext, its blobs back to back in file order, in a buffer that is reused from
// batch to batch. Never zeroed: every byte up to `size` is written by a decode before it is read.
struct BatchBuffer {
  std::unique_ptr<uint8_t[]> data;
  size_t capacity = 0;
  size_t size = 0;

  core::ByteView View() const { return {data.get(), size}; }
};

// Ordered hand-over from fetch workers to the writer, bounded in bytes.
class Reorder {
 public:
  explicit Reorder(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Reserves room for a batch; blocks while over budget, unless it is the next one to write.
  bool Reserve(size_t index, uint64_t bytes) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return failed_ || index == next_ || in_flight_ + bytes <= max_bytes_; });
    if (failed_)
      return false;
    in_flight_ += bytes;
    return true;
  }
  void Put(size_t index, BatchBuffer&& data) {
    std::lock_guard<std::mutex> lock(mu_);
    ready_.emplace(index, std::move(data));
    cv_.notify_all();
  }
  // Next batch in order, or false on failure.
  bool TakeNext(BatchBuffer* out) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return failed_ || ready_.count(next_) != 0; });
    if (failed_)
      return false;
    *out = std::move(ready_[next_]);
    ready_.erase(next_);
    return true;
  }
  void Done(uint64_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_ -= bytes;
    ++next_;
    cv_.notify_all();
  }
  void Fail(core::Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_.ok())
      error_ = std::move(s);
    failed_ = true;
    cv_.notify_all();
  }
  core::Status error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<size_t, BatchBuffer> ready_;
  size_t next_ = 0;
  uint64_t in_flight_ = 0;
  size_t max_bytes_;
  bool failed_ = false;
  core::Status error_;
};

// Batch buffers travel from the fetch workers to the writer and back, so steady-state restore
// allocates nothing: a fresh buffer costs a page fault per 4 KiB, and decoding each blob into a
// vector of its own zeroed it first (measured: a third of a native restore's CPU). Every buffer
// in flight comes back here, so the pool never holds more than the in-flight budget allows.
class BufferPool {
 public:
  BatchBuffer Take(size_t bytes) {
    BatchBuffer buffer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        buffer = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (buffer.capacity < bytes) {
      buffer.data = std::make_unique_for_overwrite<uint8_t[]>(bytes);
      buffer.capacity = bytes;
    }
    buffer.size = bytes;
    return buffer;
  }
  void Give(BatchBuffer&& buffer) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(buffer));
  }

 private:
  std::mutex mu_;
  std::vector<BatchBuffer> free_;
};

core::Status FetchBatch(Repository& repo, const Batch& batch, BufferPool& pool, BatchBuffer* out) {
  thread_local core::Bytes raw;
  std::string pack = IdToHex(batch.pack);
  HS_TRY(repo.backend().Load(storage::Handle{storage::FileType::kPack, pack}, batch.start,
                             batch.end - batch.start, &raw));
  *out = pool.Take(batch.plain_bytes);
  size_t offset = 0;
  for (const PackedBlob& blob : batch.blobs) {
    core::ByteView stored(raw.data() + (blob.offset - batch.start), blob.length);
    std::span<uint8_t> plaintext(out->data.get() + offset, blob.PlaintextLength());
    core::Status decoded = DecodeBlobTo(repo.key(), blob, stored, plaintext);
    if (!decoded.ok())
      return decoded.Wrap("pack '" + pack + "'");
    offset += plaintext.size();
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<Node> FindFileNode(Repository& repo, const Snapshot& snap, const std::string& path) {
  Id tree = snap.tree;
  std::vector<std::string> parts;
  for (size_t s = 0; s <= path.size();) {
    size_t e = path.find('/', s);
    if (e == std::string::npos)
      e = path.size();
    if (e > s)
      parts.push_back(path.substr(s, e - s));
    s = e + 1;
  }
  for (size_t depth = 0;; ++depth) {
    HS_ASSIGN_OR_RETURN(core::Bytes json, repo.LoadBlob(tree, BlobType::kTree));
    HS_ASSIGN_OR_RETURN(std::vector<Node> nodes, ParseTreeJson(core::AsString(json)));
    const Node* next = nullptr;
    if (depth < parts.size()) {
      for (const auto& n : nodes) {
        if (n.name == parts[depth])
          next = &n;
      }
    } else if (parts.empty() && nodes.size() == 1) {
      next = &nodes[0];
    }
    if (next == nullptr) {
      return core::NotFound("path '" + path + "' not found in snapshot '" +
                            IdToHex(snap.id).substr(0, 8) + "'");
    }
    if (next->type == "file" && (parts.empty() || depth + 1 == parts.size())) {
      return *next;
    }
    if (next->type != "dir" || !next->subtree) {
      return core::NotFound("path '" + path + "' is not a file in snapshot '" +
                            IdToHex(snap.id).substr(0, 8) + "'");
    }
    tree = *next->subtree;
  }
}

core::Result<uint64_t> DumpFile(Repository& repo, const Node& file, core::ByteSink& sink,
                                const DumpOptions& opts) {
  const core::Clock& clock = core::SystemClock::Get();
  auto start = clock.Monotonic();
  HS_ASSIGN_OR_RETURN(std::vector<Batch> batches, PlanBatches(repo, file));
  int threads = opts.threads > 0
                    ? opts.threads
                    : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  Reorder reorder(opts.max_in_flight_bytes);
  BufferPool buffers;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    while (true) {
      size_t i = next++;
      if (i >= batches.size())
        return;
      if (!reorder.Reserve(i, batches[i].plain_bytes))
        return;
      BatchBuffer data;
      core::Status s = FetchBatch(repo, batches[i], buffers, &data);
      if (!s.ok()) {
        reorder.Fail(std::move(s));
        return;
      }
      reorder.Put(i, std::move(data));
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t)
    pool.emplace_back(worker);
  uint64_t written = 0;
  auto last = clock.Monotonic();
  for (size_t i = 0; i < batches.size(); ++i) {
    BatchBuffer data;
    if (!reorder.TakeNext(&data))
      break;
    // One write for the whole batch (up to kMaxSpan), not one per blob.
    core::Status s = sink.Write(data.View());
    written += data.size;
    buffers.Give(std::move(data));
    reorder.Done(batches[i].plain_bytes);
    if (!s.ok()) {
      reorder.Fail(std::move(s));
      break;
    }
    if (opts.progress && clock.Monotonic() - last > std::chrono::milliseconds(200)) {
      last = clock.Monotonic();
      opts.progress(DumpProgress{written, file.size, core::SecondsSince(clock, start)});
    }
  }
  for (auto& t : pool)
    t.join();
  HS_TRY(reorder.error());
  return written;
}

}  // namespace hasteward::repo
