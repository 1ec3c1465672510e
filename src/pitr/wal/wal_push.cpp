#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>

#include "core/fd.h"
#include "core/log.h"
#include "jobs/jobs.h"
#include "pitr/pitr.h"
#include "pitr/wal/wal_archive.h"
#include "pitr/wal/wal_catalog.h"
#include "pitr/wal/wal_retention.h"
#include "repo/backup/snapshot_writer.h"
#include "repo/restore/file_dumper.h"

namespace hasteward::pitr {

namespace {

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

// Compares what DumpFile writes with the local file, byte by byte.
class CompareSink : public core::ByteSink {
 public:
  explicit CompareSink(int fd) : fd_(fd) {}
  core::Status Write(core::ByteView data) override {
    local_.resize(data.size());
    size_t filled = 0;
    while (filled < data.size()) {
      HS_ASSIGN_OR_RETURN(size_t n,
                          core::ReadSome(fd_, std::span<uint8_t>(local_).subspan(filled)));
      if (n == 0) {
        break;
      }
      filled += n;
    }
    if (filled != data.size() || std::memcmp(local_.data(), data.data(), data.size()) != 0) {
      differs_ = true;
      return core::Status(core::ErrorCode::kSafetyStop, "content differs");
    }
    return core::Status::Ok();
  }
  core::Status Close() override { return core::Status::Ok(); }
  bool differs() const { return differs_; }

 private:
  int fd_;
  std::vector<uint8_t> local_;
  bool differs_ = false;
};

core::Status CompareWithArchived(repo::Repository& repo, const ArchivedFile& archived,
                                 LocalFile& local) {
  bool same = archived.node.size == static_cast<uint64_t>(local.info.st_size);
  if (same) {
    CompareSink compare(local.fd.get());
    auto dumped = repo::DumpFile(repo, archived.node, compare, {});
    if (!dumped.ok() && !compare.differs()) {
      return dumped.TakeStatus().Wrap("read the archived '" + local.name + "' to compare");
    }
    same = dumped.ok();
  }
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
std::vector<LocalFile> CollectBatch(LocalFile requested, const WalCatalog& catalog,
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

core::Result<repo::BackupSummary> StoreBatch(repo::Repository& repo,
                                             const platform::Cluster& cluster,
                                             const engine::Archiving& archiving,
                                             std::vector<LocalFile>& batch,
                                             const WalPushOptions& options) {
  repo::SnapshotWriterOptions writer_options;
  writer_options.compression = options.compression;
  writer_options.clock = options.clock;
  HS_ASSIGN_OR_RETURN(auto writer, repo::SnapshotWriter::Open(repo, writer_options));
  const std::string dir = WalPath(cluster);
  for (auto& file : batch) {
    repo::NodeAttributes attributes;
    attributes.permissions = 0600;
    // The server's last write to the file: a restore to a time uses it to know which segment
    // holds that time.
    attributes.mtime = repo::LocalTimeFromUnix(file.info.st_mtim.tv_sec,
                                               static_cast<int32_t>(file.info.st_mtim.tv_nsec));
    core::FdSource source(file.fd.get());
    auto added = writer->AddFile(dir + "/" + file.name, source, attributes);
    if (!added.ok()) {
      writer->Abort();
      return added.TakeStatus().Wrap("read '" + file.path + "'");
    }
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
  return writer->Commit(commit);
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
  HS_TRY(repo.LoadIndex());
  HS_ASSIGN_OR_RETURN(WalCatalog catalog, WalCatalog::Load(repo, cluster, archiving));
  WalPushResult result;
  if (const ArchivedFile* archived = catalog.Find(requested.name)) {
    HS_TRY(CompareWithArchived(repo, *archived, requested));
    result.already_archived = true;
    return result;
  }
  HS_ASSIGN_OR_RETURN(std::vector<LocalFile> queued, open_queued());
  std::vector<LocalFile> batch =
      CollectBatch(std::move(requested), catalog, archiving, std::move(queued));
  HS_ASSIGN_OR_RETURN(repo::BackupSummary summary,
                      StoreBatch(repo, cluster, archiving, batch, options));
  result.stored = batch.size();
  result.snapshot_id = repo::IdToHex(summary.snapshot_id);
  core::LogInfo(
      "archived '" + batch.front().name + "'",
      {{"files", std::to_string(batch.size())}, {"snapshot", result.snapshot_id.substr(0, 8)}});
  return result;
}

}  // namespace

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
