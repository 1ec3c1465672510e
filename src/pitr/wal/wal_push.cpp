#include <cerrno>
#include <cstring>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/wal/archived_file_reader.h"
#include "catalog/wal/wal_catalog.h"
#include "catalog/wal/wal_index_append.h"
#include "catalog/wal/wal_path.h"
#include "core/fd.h"
#include "core/log.h"
#include "jobs/jobs.h"
#include "pitr/pitr.h"
#include "pitr/wal/wal_archive.h"
#include "pitr/wal/wal_retention.h"
#include "repo/backup/snapshot_writer.h"

namespace hasteward::pitr {

namespace {

// WAL is stored in blobs of a fixed size, not cut by content: a segment's bytes are never stored
// twice (no dedup to gain from content-defined cuts), so scanning 16 MiB for cut points was CPU
// spent on every push, and four equal blobs are compressed and encrypted by the pipeline's
// workers side by side. Any blob size is valid restic; segments archived before keep their cuts.
constexpr size_t kWalBlobBytes = size_t{4} * 1024 * 1024;
// Buffers alive during one push: the reader's, one per encoding worker and the queued bytes
// (8 MiB), each a blob of kWalBlobBytes.
constexpr size_t kWalBuffersKept = 6;

std::string BaseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

struct LocalFile {
  std::string path;
  std::string name;
  core::UniqueFd fd;
  struct stat info {};
};

core::Result<LocalFile> OpenLocal(const std::string& path) {
  LocalFile file;
  file.path = path;
  file.name = BaseName(path);
  file.fd = core::UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.fd.valid() || ::fstat(file.fd.get(), &file.info) != 0) {
    return core::ErrnoStatus("open '" + path + "'", errno);
  }
  return file;
}

// Reads the whole file from its start (a segment: 16 MiB at most, the fixed budget of one push
// step). The server does not change a file it handed to archive_command.
core::Result<core::Bytes> ReadWhole(const LocalFile& local) {
  core::Bytes data(static_cast<size_t>(local.info.st_size));
  size_t filled = 0;
  while (filled < data.size()) {
    ssize_t n = ::pread(local.fd.get(), data.data() + filled, data.size() - filled,
                        static_cast<off_t>(filled));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return n == 0 ? core::Usage("'" + local.path + "' shrank while it was read")
                    : core::ErrnoStatus("read '" + local.path + "'", errno);
    }
    filled += static_cast<size_t>(n);
  }
  return data;
}

std::string Sha256Hex(core::ByteView data) {
  return repo::IdToHex(repo::Sha256(data));
}

// Whether the archived copy has the local file's bytes: by the SHA-256 its push recorded, or, for
// a file indexed from the snapshots (no hash recorded), by reading the archived copy.
core::Result<bool> SameAsArchived(repo::Repository& repo, const catalog::ArchivedFile& archived,
                                  const LocalFile& local) {
  if (archived.node.size != static_cast<uint64_t>(local.info.st_size)) {
    return false;
  }
  HS_ASSIGN_OR_RETURN(core::Bytes bytes, ReadWhole(local));
  if (!archived.sha256.empty()) {
    return archived.sha256 == Sha256Hex(bytes);
  }
  core::MemorySink stored;
  core::Status read = catalog::DumpArchived(repo, archived, stored);
  if (!read.ok()) {
    return read.Wrap("read the archived '" + local.name + "' to compare");
  }
  return stored.data() == bytes;
}

core::Status CompareWithArchived(repo::Repository& repo, const catalog::ArchivedFile& archived,
                                 LocalFile& local) {
  HS_ASSIGN_OR_RETURN(bool same, SameAsArchived(repo, archived, local));
  if (!same) {
    return core::Status(
        core::ErrorCode::kSafetyStop,
        "'" + local.name + "' is already archived (snapshot " +
            repo::IdToHex(archived.snapshot).substr(0, 8) +
            ") with different content; an archived file is never overwritten",
        "another server may archive under this cluster's name (check its system identifier), or "
        "the local file is damaged; keep the archived copy and investigate before retrying");
  }
  return core::Status::Ok();
}

// The file must be whole: a segment of another size is refused rather than stored wrong.
core::Status CheckSize(const engine::Archiving& archiving, const engine::ArchiveFile& file,
                       const LocalFile& local) {
  if (file.kind == engine::ArchiveFileKind::kSegment &&
      static_cast<uint64_t>(local.info.st_size) != archiving.SegmentBytes()) {
    return core::Usage("'" + local.path + "' has " + std::to_string(local.info.st_size) +
                           " bytes, not a whole " + std::to_string(archiving.SegmentBytes()) +
                           "-byte segment",
                       "only the default wal_segment_size (16 MiB) is supported");
  }
  return core::Status::Ok();
}

// The requested file first, then queued files that are well-formed and not yet archived.
std::vector<LocalFile> CollectBatch(LocalFile requested, const catalog::WalCatalog& catalog,
                                    const engine::Archiving& archiving,
                                    std::vector<LocalFile> queued) {
  std::vector<LocalFile> batch;
  batch.push_back(std::move(requested));
  for (auto& local : queued) {
    auto parsed = archiving.ParseFileName(local.name);
    // A queued file we cannot use now is left to the server's own call for it.
    if (!parsed.ok() || catalog.Find(local.name) != nullptr || local.name == batch.front().name ||
        !CheckSize(archiving, *parsed, local).ok()) {
      continue;
    }
    batch.push_back(std::move(local));
  }
  return batch;
}

// The tags prune decides a piece by without reading its tree (pitr/wal/wal_retention.h): the newest
// segment it holds and how many timeline history files.
std::vector<std::string> RetentionTags(const std::vector<LocalFile>& batch,
                                       const engine::Archiving& archiving) {
  std::optional<engine::ArchiveFile> newest;
  size_t history_files = 0;
  for (const auto& file : batch) {
    auto parsed = archiving.ParseFileName(file.name);
    if (!parsed.ok()) {
      continue;  // never queued: the batch holds parsed names only
    }
    if (parsed->kind == engine::ArchiveFileKind::kHistory) {
      ++history_files;
    } else if (!newest || parsed->segment > newest->segment) {
      newest = *parsed;
    }
  }
  std::vector<std::string> tags;
  if (newest) {
    tags.push_back(std::string(kWalLastTag) + "=" + newest->name);
  }
  if (history_files > 0) {
    tags.push_back(std::string(kWalHistoryTag) + "=" + std::to_string(history_files));
  }
  return tags;
}

core::Result<catalog::CommittedWal> StoreBatch(repo::Repository& repo,
                                               const platform::Cluster& cluster,
                                               const engine::Archiving& archiving,
                                               std::vector<LocalFile>& batch,
                                               const WalPushOptions& options) {
  repo::SnapshotWriterOptions writer_options;
  writer_options.compression = options.compression;
  writer_options.clock = options.clock;
  // A WAL segment's blobs almost never exist already, and loading the pack index to find out
  // costs each push time and memory that grow with the repository.
  writer_options.dedup_against_repository = false;
  writer_options.chunk_buffers = options.chunk_buffers;
  HS_ASSIGN_OR_RETURN(auto writer, repo::SnapshotWriter::Open(repo, writer_options));
  const std::string dir = catalog::WalPath(cluster);
  catalog::CommittedWal stored;
  for (auto& file : batch) {
    repo::NodeAttributes attributes;
    attributes.permissions = 0600;
    // The server's last write to the file: a restore to a time uses it to know which segment
    // holds that time.
    attributes.mtime = repo::LocalTimeFromUnix(file.info.st_mtim.tv_sec,
                                               static_cast<int32_t>(file.info.st_mtim.tv_nsec));
    auto bytes = ReadWhole(file);
    // The file's hash (kept in the archive index) on a second thread while the writer chunks,
    // compresses and encrypts the same bytes: the two took turns on one core before. Joined
    // below, before `bytes` goes, on every path (the future's destructor waits too).
    std::future<std::string> sha256;
    if (bytes.ok()) {
      sha256 = std::async(std::launch::async, [&bytes] { return Sha256Hex(*bytes); });
    }
    core::Status added = bytes.ok() ? writer->BeginFile(dir + "/" + file.name, attributes,
                                                        repo::Chunking::FixedSize(kWalBlobBytes))
                                    : bytes.status();
    if (added.ok()) {
      added = writer->Append(*bytes);
    }
    if (added.ok()) {
      added = writer->FinishFile().status();
    }
    if (!added.ok()) {
      writer->Abort();
      return added.Wrap("read '" + file.path + "'");
    }
    stored.sha256[file.name] = sha256.get();
  }
  repo::CommitOptions commit;
  commit.tags = jobs::SnapshotTags(cluster, repo::SnapshotType::kWal, "");
  commit.tags.push_back("wal_first=" + batch.front().name);
  commit.tags.push_back("wal_files=" + std::to_string(batch.size()));
  for (std::string& tag : RetentionTags(batch, archiving)) {
    commit.tags.push_back(std::move(tag));
  }
  commit.hostname = cluster.ns + "-" + cluster.name;
  commit.paths = {"/" + dir};
  HS_ASSIGN_OR_RETURN(repo::BackupSummary summary, writer->Commit(commit));
  stored.snapshot_id = summary.snapshot_id;
  stored.tree_id = summary.tree_id;
  return stored;
}

LocalFile FromOpen(OpenWalFile file) {
  LocalFile local;
  local.path = file.name;
  local.name = std::move(file.name);
  local.fd = std::move(file.fd);
  return local;
}

using QueuedOpener = std::function<core::Result<std::vector<LocalFile>>()>;

core::Result<WalPushResult> PushLocal(repo::Repository& repo, const platform::Cluster& cluster,
                                      const engine::Archiving& archiving, LocalFile requested,
                                      const QueuedOpener& open_queued,
                                      const WalPushOptions& options) {
  if (::fstat(requested.fd.get(), &requested.info) != 0) {
    return core::ErrnoStatus("stat '" + requested.path + "'", errno);
  }
  if (!S_ISREG(requested.info.st_mode)) {
    return core::Usage("'" + requested.path + "' is not a regular file",
                       "archive_command passes the server's %p, a file in pg_wal");
  }
  HS_ASSIGN_OR_RETURN(engine::ArchiveFile file, archiving.ParseFileName(requested.name));
  HS_TRY(CheckSize(archiving, file, requested));
  // The queued files are opened first so one read of the index answers for the whole batch.
  HS_ASSIGN_OR_RETURN(std::vector<LocalFile> queued, open_queued());
  std::vector<engine::ArchiveFile> names = {file};
  for (const LocalFile& local : queued) {
    if (auto parsed = archiving.ParseFileName(local.name); parsed.ok()) {
      names.push_back(*parsed);
    }
  }
  HS_ASSIGN_OR_RETURN(catalog::WalCatalog catalog,
                      catalog::WalCatalog::LoadFiles(repo, cluster, archiving, names));
  WalPushResult result;
  if (const catalog::ArchivedFile* archived = catalog.Find(requested.name)) {
    HS_TRY(CompareWithArchived(repo, *archived, requested));
    result.already_archived = true;
    return result;
  }
  std::vector<LocalFile> batch =
      CollectBatch(std::move(requested), catalog, archiving, std::move(queued));
  HS_ASSIGN_OR_RETURN(catalog::CommittedWal stored,
                      StoreBatch(repo, cluster, archiving, batch, options));
  // Indexed before the file is reported archived: every acknowledged file is in the index.
  HS_ASSIGN_OR_RETURN(std::vector<catalog::WalIndexEntry> entries,
                      catalog::CommittedEntries(repo, cluster, archiving, stored));
  HS_TRY(catalog::AppendToIndex(repo, cluster, entries, catalog.index_deltas()));
  result.stored = batch.size();
  result.snapshot_id = repo::IdToHex(stored.snapshot_id);
  core::LogInfo(
      "archived '" + batch.front().name + "'",
      {{"files", std::to_string(batch.size())}, {"snapshot", result.snapshot_id.substr(0, 8)}});
  return result;
}

}  // namespace

std::shared_ptr<repo::ChunkBufferPool> NewWalChunkBufferPool() {
  return std::make_shared<repo::ChunkBufferPool>(
      repo::ChunkBufferLimits{kWalBlobBytes, kWalBuffersKept * kWalBlobBytes});
}

core::Result<WalPushResult> PushWal(repo::Repository& repo, const platform::Cluster& cluster,
                                    const engine::Archiving& archiving, const std::string& path,
                                    const WalPushOptions& options) {
  HS_ASSIGN_OR_RETURN(LocalFile requested, OpenLocal(path));
  auto open_queued = [&]() -> core::Result<std::vector<LocalFile>> {
    HS_ASSIGN_OR_RETURN(auto queued, archiving.QueuedFiles(path, options.batch_limit - 1));
    std::vector<LocalFile> opened;
    for (const auto& queued_path : queued) {
      auto local = OpenLocal(queued_path);
      if (local.ok()) {
        opened.push_back(std::move(*local));
      }
    }
    return opened;
  };
  return PushLocal(repo, cluster, archiving, std::move(requested), open_queued, options);
}

core::Result<WalPushResult> PushOpenWal(repo::Repository& repo, const platform::Cluster& cluster,
                                        const engine::Archiving& archiving, OpenWalFile requested,
                                        std::vector<OpenWalFile> queued,
                                        const WalPushOptions& options) {
  auto open_queued = [&]() -> core::Result<std::vector<LocalFile>> {
    std::vector<LocalFile> opened;
    for (auto& file : queued) {
      LocalFile local = FromOpen(std::move(file));
      if (::fstat(local.fd.get(), &local.info) == 0) {
        opened.push_back(std::move(local));
      }
    }
    return opened;
  };
  return PushLocal(repo, cluster, archiving, FromOpen(std::move(requested)), open_queued, options);
}

}  // namespace hasteward::pitr
