#include "repo/backup/blob_pipeline.h"

#include <algorithm>

namespace hasteward::repo {

namespace {

constexpr size_t kMaxBlobsPerIndex = 50000;

}  // namespace

BlobPipeline::BlobPipeline(Repository& repo, const BlobPipelineOptions& options)
    : repo_(repo),
      options_(options),
      pool_(repo, options.pack_size),
      queue_(options.max_in_flight_bytes),
      buffers_(options.chunk_buffers != nullptr ? options.chunk_buffers
                                                : std::make_shared<ChunkBufferPool>()) {
  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  workers_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i)
    workers_.emplace_back([this] { Worker(); });
}

BlobPipeline::~BlobPipeline() {
  Abort();
}

size_t BlobPipeline::NewFile() {
  std::lock_guard<std::mutex> lock(mu_);
  contents_.emplace_back();
  return contents_.size() - 1;
}

core::Result<core::PageBuffer> BlobPipeline::TakeBuffer(size_t capacity) {
  return buffers_->Take(capacity);
}

void BlobPipeline::ReturnBuffer(core::PageBuffer&& buffer) {
  buffers_->Return(std::move(buffer));
}

bool BlobPipeline::Push(size_t file, uint64_t seq, core::PageBuffer&& data) {
  if (failed_)
    return false;
  return queue_.Push(Chunk{seq, std::move(data), file});
}

void BlobPipeline::Reference(size_t file, uint64_t seq, const Id& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& content = contents_[file];
  if (content.size() <= seq)
    content.resize(seq + 1);
  content[seq] = id;
}

void BlobPipeline::Worker() {
  core::Bytes scratch;
  core::Bytes encrypted;
  while (auto chunk = queue_.Pop()) {
    Id id = Sha256(chunk->data.view());
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& content = contents_[chunk->file];
      if (content.size() <= chunk->seq)
        content.resize(chunk->seq + 1);
      content[chunk->seq] = id;
    }
    if (!pool_.Claim(id, BlobType::kData)) {
      ReturnBuffer(std::move(chunk->data));
      continue;
    }
    uint32_t ulen = EncodeBlobInto(repo_.key(), chunk->data.view(), options_.compression.enabled,
                                   options_.compression.level, &scratch, &encrypted);
    size_t plain = chunk->data.size();
    ReturnBuffer(std::move(chunk->data));  // before the (possibly slow) pack upload
    core::Status s = pool_.Add(id, BlobType::kData, encrypted, ulen);
    if (!s.ok()) {
      Fail(std::move(s));
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++chunks_new_;
    bytes_new_ += plain;
  }
}

void BlobPipeline::Join() {
  for (auto& worker : workers_)
    worker.join();
  workers_.clear();
}

// The open packs are left to Flush, which the writer calls after saving the trees: the last data
// pack and the tree pack are then saved at the same time, and their fsyncs overlap instead of
// adding up (a small snapshot, such as one WAL segment's, waited for both on every push).
core::Status BlobPipeline::Drain() {
  queue_.Close();
  Join();
  return error();
}

void BlobPipeline::Abort() {
  queue_.Abort();
  Join();
}

void BlobPipeline::Fail(core::Status status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_.ok())
      error_ = std::move(status);
  }
  failed_ = true;
  queue_.Abort();
}

core::Status BlobPipeline::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

std::vector<Id> BlobPipeline::TakeContent(size_t file) {
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(contents_[file]);
}

core::Result<Id> BlobPipeline::SaveTree(const std::string& json) {
  Id id = Sha256(core::AsBytes(json));
  if (pool_.Claim(id, BlobType::kTree)) {
    HS_TRY(pool_.Add(EncodeBlob(repo_.key(), BlobType::kTree, id, core::AsBytes(json), true, 3)));
  }
  return id;
}

core::Status BlobPipeline::SaveIndex() {
  auto packs = pool_.TakeSavedPacks();
  IndexFile file;
  size_t blobs = 0;
  for (auto& pack : packs) {
    blobs += pack.second.size();
    file.packs.push_back(std::move(pack));
    if (blobs >= kMaxBlobsPerIndex) {
      HS_TRY(repo_.SaveUnpacked(storage::FileType::kIndex, EncodeIndexJson(file)).status());
      file = IndexFile();
      blobs = 0;
    }
  }
  if (!file.packs.empty()) {
    HS_TRY(repo_.SaveUnpacked(storage::FileType::kIndex, EncodeIndexJson(file)).status());
  }
  return core::Status::Ok();
}

uint64_t BlobPipeline::chunks_new() const {
  std::lock_guard<std::mutex> lock(mu_);
  return chunks_new_;
}

uint64_t BlobPipeline::bytes_new() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_new_;
}

}  // namespace hasteward::repo
