#include "repo/backup/snapshot_writer.h"

#include <chrono>

#include <unistd.h>

#include "core/failpoint.h"
#include "core/stop_signal.h"

namespace hasteward::repo {

namespace {

constexpr size_t kReadSize = 1 << 20;
constexpr uint32_t kDefaultFilePermissions = 0644;
constexpr uint32_t kDefaultDirPermissions = 0755;
constexpr auto kProgressInterval = std::chrono::milliseconds(200);

// "a//b/c/" -> {a, b, c}; kUsage for an empty path, "." or ".." (a restore must never leave its
// target directory) and NUL bytes.
core::Result<std::vector<std::string>> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos)
      slash = path.size();
    std::string part = path.substr(start, slash - start);
    if (part == "." || part == ".." || part.find('\0') != std::string::npos) {
      return core::Usage("invalid path '" + path + "' in a snapshot",
                         "use a relative path without '.' or '..' components");
    }
    if (!part.empty())
      parts.push_back(std::move(part));
    start = slash + 1;
  }
  if (parts.empty())
    return core::Usage("empty path in a snapshot", "name the file, e.g. ns/cluster/dump.sql");
  return parts;
}

Node MakeNode(const std::string& name, const std::string& type, const NodeAttributes& attributes,
              const GoTime& time) {
  Node node;
  node.name = name;
  node.type = type;
  uint32_t permissions = attributes.permissions.value_or(
      type == "dir" ? kDefaultDirPermissions
                    : (type == "symlink" ? 0777 : kDefaultFilePermissions));
  node.mode = GoModeFromPosix(permissions);
  if (type == "dir") {
    node.mode |= kGoModeDir;
  } else if (type == "symlink") {
    node.mode |= kGoModeSymlink;
  }
  node.mtime = node.atime = node.ctime = attributes.mtime.value_or(time);
  node.uid = attributes.uid.value_or(::geteuid());
  node.gid = attributes.gid.value_or(::getegid());
  node.user = attributes.user;
  node.group = attributes.group;
  return node;
}

}  // namespace

std::vector<std::string> NormalizeTags(const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  for (const auto& tag : tags) {
    size_t start = 0;
    while (start <= tag.size()) {
      size_t comma = tag.find(',', start);
      std::string part =
          tag.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      size_t first = part.find_first_not_of(" \t");
      size_t last = part.find_last_not_of(" \t");
      if (first != std::string::npos)
        out.push_back(part.substr(first, last - first + 1));
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
  }
  return out;
}

// A node of the tree being built. Directories own their children (sorted by name, as the
// restic tree format wants); files refer to their pipeline slot, whose content IDs are taken
// at Commit.
struct SnapshotWriter::Entry {
  std::string type;  // "dir", "file", "symlink"
  NodeAttributes attributes;
  uint64_t size = 0;
  size_t slot = 0;
  uint64_t chunks = 0;
  std::string link_target;
  std::map<std::string, std::unique_ptr<Entry>> children;
};

struct SnapshotWriter::OpenFile {
  Entry* entry = nullptr;
  Chunking chunking;
  uint64_t size = 0;
  uint64_t chunks = 0;
  bool ended = false;  // a short stored blob was the last chunk
};

SnapshotWriter::SnapshotWriter(Repository& repo, const SnapshotWriterOptions& options)
    : repo_(repo),
      options_(options),
      chunker_(repo.config().chunker_polynomial),
      root_(std::make_unique<Entry>()) {
  root_->type = "dir";
  start_ = options.clock->Monotonic();
  last_progress_ = start_;
}

core::Result<std::unique_ptr<SnapshotWriter>> SnapshotWriter::Open(
    Repository& repo, const SnapshotWriterOptions& options) {
  std::unique_ptr<SnapshotWriter> writer(new SnapshotWriter(repo, options));
  LockOptions lock_options;
  lock_options.wait = options.lock_wait;
  lock_options.clock = options.clock;
  HS_ASSIGN_OR_RETURN(writer->lock_, RepoLock::Acquire(repo, lock_options));
  if (options.dedup_against_repository) {
    // Backup only asks "is this blob stored?": the on-disk index answers that in bounded memory.
    HS_TRY(repo.LoadBlobIndex());
  }
  BlobPipelineOptions pipeline_options;
  pipeline_options.compression = options.compression;
  pipeline_options.threads = options.threads;
  pipeline_options.pack_size = options.pack_size;
  pipeline_options.max_in_flight_bytes = options.max_in_flight_bytes;
  pipeline_options.chunk_buffers = options.chunk_buffers;
  writer->pipeline_ = std::make_unique<BlobPipeline>(repo, pipeline_options);
  return writer;
}

SnapshotWriter::~SnapshotWriter() {
  Abort();
}

core::Status SnapshotWriter::Usable() const {
  if (state_ != State::kOpen)
    return core::Internal("snapshot writer used after Commit or Abort");
  if (pipeline_->failed())
    return pipeline_->error();
  return core::Status::Ok();
}

// Finds or creates the entry at `path`; parents become directories with default attributes.
core::Result<SnapshotWriter::Entry*> SnapshotWriter::Place(const std::string& path,
                                                           const std::string& type) {
  HS_TRY(Usable());
  HS_ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitPath(path));
  Entry* dir = root_.get();
  for (size_t i = 0; i < parts.size(); ++i) {
    bool last = i + 1 == parts.size();
    auto& child = dir->children[parts[i]];
    if (!child) {
      child = std::make_unique<Entry>();
      child->type = last ? type : "dir";
    } else if (!last && child->type != "dir") {
      return core::Usage("'" + path + "': '" + parts[i] + "' is a " + child->type +
                         " in this snapshot, not a directory");
    } else if (last && (type != "dir" || child->type != "dir")) {
      return core::Usage("'" + path + "' was already added to this snapshot",
                         "add every path once");
    }
    dir = child.get();
  }
  return dir;
}

core::Status SnapshotWriter::AddDirectory(const std::string& path,
                                          const NodeAttributes& attributes) {
  HS_ASSIGN_OR_RETURN(Entry * entry, Place(path, "dir"));
  entry->attributes = attributes;
  return core::Status::Ok();
}

core::Status SnapshotWriter::AddSymlink(const std::string& path, const std::string& target,
                                        const NodeAttributes& attributes) {
  if (open_file_)
    return core::Internal("AddSymlink while a file is open");
  HS_ASSIGN_OR_RETURN(Entry * entry, Place(path, "symlink"));
  entry->attributes = attributes;
  entry->link_target = target;
  return core::Status::Ok();
}

core::Status SnapshotWriter::BeginFile(const std::string& path, const NodeAttributes& attributes,
                                       const Chunking& chunking) {
  if (open_file_)
    return core::Internal("BeginFile while another file is open");
  HS_TRY(chunking.Validate());
  HS_ASSIGN_OR_RETURN(Entry * entry, Place(path, "file"));
  entry->attributes = attributes;
  entry->slot = pipeline_->NewFile();
  open_file_ = std::make_unique<OpenFile>();
  open_file_->entry = entry;
  open_file_->chunking = chunking;
  chunker_.Reset(chunking);
  return core::Status::Ok();
}

core::Status SnapshotWriter::PushChunk() {
  if (!pipeline_->Push(open_file_->entry->slot, open_file_->chunks, std::move(chunk_))) {
    return pipeline_->error();
  }
  chunk_ = core::PageBuffer();
  ++open_file_->chunks;
  return core::Status::Ok();
}

core::Status SnapshotWriter::Append(core::ByteView data) {
  if (!open_file_)
    return core::Internal("Append without BeginFile");
  if (open_file_->ended && !data.empty())
    return core::Internal("Append after the file's last, short, stored blob");
  HS_TRY(Usable());
  size_t max_chunk = open_file_->chunking.MaxChunkSize();
  for (size_t pos = 0; pos < data.size();) {
    if (chunk_.capacity() < max_chunk) {
      HS_ASSIGN_OR_RETURN(chunk_, pipeline_->TakeBuffer(max_chunk));
    }
    bool cut = false;
    size_t used = chunker_.Scan(data.data() + pos, data.size() - pos, &cut);
    chunk_.Append(core::ByteView(data.data() + pos, used));  // never beyond max_chunk
    pos += used;
    if (cut)
      HS_TRY(PushChunk());
  }
  open_file_->size += data.size();
  bytes_read_ += data.size();
  const core::Clock& clock = *options_.clock;
  if (options_.progress && clock.Monotonic() - last_progress_ > kProgressInterval) {
    last_progress_ = clock.Monotonic();
    options_.progress(
        BackupProgress{bytes_read_, pipeline_->bytes_stored(), core::SecondsSince(clock, start_)});
  }
  return core::Status::Ok();
}

core::Status SnapshotWriter::AppendStoredBlob(const Id& id, uint64_t length) {
  if (!open_file_)
    return core::Internal("AppendStoredBlob without BeginFile");
  HS_TRY(Usable());
  // The fixed-size chunker's next cut lies one block after the last: a whole block appended at a
  // boundary keeps every later cut where a plain read would put it, and a shorter one can only
  // be the file's last.
  if (open_file_->chunking.kind != ChunkingKind::kFixedSize || chunk_.size() != 0 ||
      open_file_->ended || length == 0 || length > open_file_->chunking.MaxChunkSize()) {
    return core::Internal("AppendStoredBlob needs a block at a fixed-size chunk boundary");
  }
  std::optional<BlobLocation> where = repo_.blobs().Lookup(id, BlobType::kData);
  if (!where) {
    return core::Usage("blob " + IdToHex(id).substr(0, 8) + " is not in the repository's index");
  }
  if (where->blob.PlaintextLength() != length) {
    return core::Usage("blob " + IdToHex(id).substr(0, 8) + " holds " +
                       std::to_string(where->blob.PlaintextLength()) + " bytes, not " +
                       std::to_string(length));
  }
  pipeline_->Reference(open_file_->entry->slot, open_file_->chunks, id);
  ++open_file_->chunks;
  open_file_->size += length;
  open_file_->ended = length < open_file_->chunking.MaxChunkSize();
  reused_bytes_ += length;
  return core::Status::Ok();
}

core::Result<uint64_t> SnapshotWriter::FinishFile() {
  if (!open_file_)
    return core::Internal("FinishFile without BeginFile");
  HS_TRY(Usable());
  if (chunk_.size() > 0)
    HS_TRY(PushChunk());
  Entry* entry = open_file_->entry;
  entry->size = open_file_->size;
  entry->chunks = open_file_->chunks;
  chunks_ += entry->chunks;
  ++files_;
  open_file_.reset();
  return entry->size;
}

core::Result<uint64_t> SnapshotWriter::AddFile(const std::string& path, core::ByteSource& source,
                                               const NodeAttributes& attributes,
                                               const Chunking& chunking) {
  HS_TRY(BeginFile(path, attributes, chunking));
  core::Bytes buffer(kReadSize);
  while (true) {
    HS_ASSIGN_OR_RETURN(size_t n, source.Read(buffer));
    if (n == 0)
      break;
    HS_TRY(Append(core::ByteView(buffer.data(), n)));
  }
  return FinishFile();
}

// Saves the trees below `dir` bottom-up and returns the ID of dir's own tree.
core::Result<Id> SnapshotWriter::SaveTree(Entry& dir, const GoTime& time) {
  std::vector<Node> nodes;
  nodes.reserve(dir.children.size());
  for (auto& [name, child] : dir.children) {
    Node node = MakeNode(name, child->type, child->attributes, time);
    if (child->type == "dir") {
      HS_ASSIGN_OR_RETURN(node.subtree, SaveTree(*child, time));
    } else if (child->type == "file") {
      node.size = child->size;
      node.content = pipeline_->TakeContent(child->slot);
      if (node.content.size() != child->chunks) {
        return core::Internal("file '" + name + "' has " + std::to_string(node.content.size()) +
                              " of " + std::to_string(child->chunks) + " chunk IDs");
      }
    } else {
      node.linktarget = child->link_target;
    }
    nodes.push_back(std::move(node));
  }
  return pipeline_->SaveTree(EncodeTreeJson(std::move(nodes)));
}

core::Result<BackupSummary> SnapshotWriter::CommitDrained(const CommitOptions& options) {
  HS_TRY(pipeline_->Drain());
  GoTime time = options.time ? *options.time : LocalTimeNow(*options_.clock);
  HS_ASSIGN_OR_RETURN(Id tree, SaveTree(*root_, time));
  HS_TRY(pipeline_->Flush());
  core::Failpoint("before-index-save");
  HS_TRY(pipeline_->SaveIndex());
  core::Failpoint("before-snapshot-save");
  HS_TRY(core::StopStatus());
  if (lock_->Lost()) {
    return core::Status(core::ErrorCode::kLocked, "repository lock was lost during the backup",
                        "another process removed our lock; no snapshot was saved");
  }
  Snapshot snap;
  snap.time = time;
  snap.tree = tree;
  snap.paths = options.paths;
  if (snap.paths.empty()) {
    for (const auto& [name, child] : root_->children)
      snap.paths.push_back("/" + name);
  }
  snap.hostname = options.hostname.empty() ? LocalHostname() : options.hostname;
  snap.username = LocalUsername();
  snap.uid = ::geteuid();
  snap.gid = ::getegid();
  snap.tags = NormalizeTags(options.tags);
  // The end is read after every pack and the index are durable: a DR standby picks the newest
  // backup by it (a long backup that started first may end last).
  snap.backup_start = time;
  // With nanoseconds: two backups ending in the same second still order.
  auto since_epoch = options_.clock->Now().time_since_epoch();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  snap.backup_end = LocalTimeFromUnix(
      seconds.count(),
      static_cast<int32_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds).count()));
  HS_ASSIGN_OR_RETURN(Id snap_id,
                      repo_.SaveUnpacked(storage::FileType::kSnapshot, EncodeSnapshotJson(snap)));
  state_ = State::kCommitted;
  BackupSummary summary;
  summary.snapshot_id = snap_id;
  summary.tree_id = tree;
  return summary;
}

core::Result<BackupSummary> SnapshotWriter::Commit(const CommitOptions& options) {
  if (open_file_)
    return core::Internal("Commit while a file is open (call FinishFile first)");
  HS_TRY(Usable());
  // A stop signal may have ended the input early (Ctrl-C reaches the producer too, whose EOF then
  // looks complete): never a snapshot after a stop.
  if (core::Status stopped = core::StopStatus(); !stopped.ok()) {
    Abort();
    return stopped.Wrap("backup aborted, no snapshot was saved");
  }
  if (root_->children.empty()) {
    Abort();
    return core::Status(core::ErrorCode::kIncompleteInput, "nothing was added to the snapshot",
                        "an empty backup is not a backup; check the source");
  }
  auto committed = CommitDrained(options);
  if (!committed.ok()) {
    Abort();
    return committed.TakeStatus().Wrap("backup aborted, no snapshot was saved");
  }
  core::Failpoint("after-snapshot-save");
  HS_TRY(lock_->Release());
  BackupSummary summary = std::move(committed).value();
  summary.files = files_;
  summary.bytes_read = bytes_read_;
  summary.chunks = chunks_;
  summary.chunks_new = pipeline_->chunks_new();
  summary.bytes_new = pipeline_->bytes_new();
  summary.bytes_stored = pipeline_->bytes_stored();
  summary.packs_written = pipeline_->packs_saved();
  summary.seconds = core::SecondsSince(*options_.clock, start_);
  return summary;
}

void SnapshotWriter::Abort() {
  if (state_ != State::kOpen)
    return;
  state_ = State::kAborted;
  open_file_.reset();
  if (pipeline_) {
    pipeline_->Abort();
    // Index what was stored, so a retry deduplicates against it. The data is unreachable from
    // any snapshot and the next prune removes it.
    (void)pipeline_->SaveIndex();
  }
  if (lock_)
    (void)lock_->Release();
}

}  // namespace hasteward::repo
