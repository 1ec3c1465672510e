#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <vector>

#include "catalog/wal/archived_file_reader.h"
#include "catalog/wal/wal_catalog.h"
#include "catalog/wal/wal_stream_store.h"
#include "core/atomic_file.h"
#include "core/failpoint.h"
#include "core/log.h"
#include "pitr/wal/wal_archive.h"
#include "pitr/wal/wal_fetch_service.h"
#include "repo/restore/file_dumper.h"

namespace hasteward::pitr {

namespace {

core::Status WriteArchived(repo::Repository& repo, const catalog::ArchivedFile& archived,
                           const std::string& destination, mode_t parent_dir_mode) {
  core::AtomicFileOptions file_options;
  file_options.mode = 0600;
  file_options.parent_dir_mode = parent_dir_mode;
  HS_ASSIGN_OR_RETURN(auto sink, core::AtomicFileSink::Create(destination, file_options));
  HS_TRY(catalog::DumpArchived(repo, archived, *sink));
  return sink->Close();
}

// Moves a file an earlier call prefetched into place; false when there is none.
core::Result<bool> TakePrefetched(const std::string& prefetched, const std::string& destination) {
  std::error_code error;
  if (!std::filesystem::exists(prefetched, error)) {
    return false;
  }
  if (std::rename(prefetched.c_str(), destination.c_str()) != 0) {
    return core::ErrnoStatus("move '" + prefetched + "' to '" + destination + "'", errno);
  }
  return true;
}

// Fetches the archived segments after `file` on its timeline into `dir`; failures only cost the
// speed-up (the server's call for that segment fetches it directly).
size_t Prefetch(repo::Repository& repo, const catalog::WalCatalog& catalog,
                const engine::Archiving& archiving, const engine::ArchiveFile& file,
                const std::string& dir, const WalFetchOptions& options) {
  std::vector<const catalog::ArchivedFile*> wanted;
  for (uint64_t next = file.segment + 1; next <= file.segment + options.prefetch; ++next) {
    const catalog::ArchivedFile* archived =
        catalog.Find(archiving.SegmentFileName(file.timeline, next));
    std::error_code error;
    if (archived == nullptr || FailpointHidesNewest(catalog, archived->file)) {
      break;  // the archive (or its contiguous part) ends here
    }
    if (!std::filesystem::exists(dir + "/" + archived->file.name, error)) {
      wanted.push_back(archived);
    }
  }
  std::mutex mu;
  size_t done = 0;
  core::Status fetched =
      repo::ParallelFor(wanted.size(), options.threads, [&](size_t i) -> core::Status {
        HS_TRY(WriteArchived(repo, *wanted[i], dir + "/" + wanted[i]->file.name, 0700));
        std::lock_guard<std::mutex> lock(mu);
        ++done;
        return core::Status::Ok();
      });
  if (!fetched.ok()) {
    core::LogWarn("prefetching WAL failed: " + fetched.message());
  }
  return done;
}

core::Result<bool> WriteStreamed(repo::Repository& repo, const platform::Cluster& cluster,
                                 const engine::Archiving& archiving,
                                 const engine::ArchiveFile& file, const std::string& destination) {
  HS_ASSIGN_OR_RETURN(std::optional<core::Bytes> streamed,
                      StreamedSegmentBytes(repo, cluster, archiving, file));
  if (!streamed) {
    return false;
  }
  core::AtomicFileOptions file_options;
  file_options.mode = 0600;
  HS_ASSIGN_OR_RETURN(auto sink, core::AtomicFileSink::Create(destination, file_options));
  HS_TRY(sink->Write(*streamed));
  HS_TRY(sink->Close());
  return true;
}

}  // namespace

core::Result<std::optional<core::Bytes>> StreamedSegmentBytes(repo::Repository& repo,
                                                              const platform::Cluster& cluster,
                                                              const engine::Archiving& archiving,
                                                              const engine::ArchiveFile& file) {
  if (file.kind != engine::ArchiveFileKind::kSegment) {
    return std::optional<core::Bytes>();
  }
  HS_ASSIGN_OR_RETURN(catalog::WalStreamStore store, catalog::WalStreamStore::Open(repo, cluster));
  auto streamed = store.Read(file.timeline, file.segment, archiving.SegmentBytes());
  if (!streamed.ok()) {
    if (streamed.status().code() == core::ErrorCode::kNotFound) {
      return std::optional<core::Bytes>();
    }
    return streamed.TakeStatus();
  }
  if (streamed->durable_end == 0) {
    return std::optional<core::Bytes>();
  }
  core::LogInfo("served '" + file.name + "' from the WAL stream",
                {{"durable_bytes", std::to_string(streamed->durable_end)}});
  return std::optional<core::Bytes>(std::move(streamed->bytes));
}

core::Result<WalFetchResult> FetchWal(const RepositoryOpener& open_repository,
                                      const platform::Cluster& cluster,
                                      const engine::Archiving& archiving, const std::string& name,
                                      const std::string& destination,
                                      const WalFetchOptions& options) {
  HS_ASSIGN_OR_RETURN(engine::ArchiveFile file, archiving.ParseFileName(name));
  const std::string dir = archiving.PrefetchDir(destination);
  WalFetchResult result;
  HS_ASSIGN_OR_RETURN(result.from_prefetch, TakePrefetched(dir + "/" + name, destination));
  if (result.from_prefetch) {
    return result;
  }
  // Only "not archived" is kNotFound (wal-fetch exits 20 and the server ends recovery there):
  // anything else that is missing is damage, which must stop recovery instead.
  auto damage = [](const core::Status& s) {
    return s.code() == core::ErrorCode::kNotFound
               ? core::Status(core::ErrorCode::kCorruption, s.message(), s.hint())
               : s;
  };
  auto repo = open_repository();
  if (!repo.ok())
    return damage(repo.TakeStatus());
  // Only the index buckets of the file and the segments prefetched after it: the cost stays the
  // same however long the archive grows.
  std::vector<engine::ArchiveFile> wanted = {file};
  for (uint64_t next = 1;
       file.kind == engine::ArchiveFileKind::kSegment && next <= options.prefetch; ++next) {
    wanted.push_back(engine::ArchiveFile{"", engine::ArchiveFileKind::kSegment, file.timeline,
                                         file.segment + next});
  }
  auto catalog = catalog::WalCatalog::LoadFiles(**repo, cluster, archiving, wanted);
  if (!catalog.ok())
    return damage(catalog.TakeStatus());
  const catalog::ArchivedFile* archived = catalog->Find(name);
  if (archived == nullptr && file.kind == engine::ArchiveFileKind::kSegment) {
    // Not whole in the archive: a synchronous receiver's pieces may hold its acknowledged part.
    auto streamed = WriteStreamed(**repo, cluster, archiving, file, destination);
    if (!streamed.ok())
      return damage(streamed.TakeStatus());
    if (*streamed) {
      result.from_stream = true;
      return result;
    }
  }
  if (archived == nullptr || FailpointHidesNewest(*catalog, file)) {
    return core::NotFound("'" + name + "' is not archived for '" + cluster.ns + "/" + cluster.name +
                          "'");
  }
  if (core::FailpointFails("wal-fetch-read")) {
    return core::Status(core::ErrorCode::kStorage,
                        "reading '" + name + "' from the repository failed (failpoint)");
  }
  core::Status written = WriteArchived(**repo, *archived, destination, 0);
  if (!written.ok())
    return damage(written);
  if (file.kind == engine::ArchiveFileKind::kSegment && options.prefetch > 0) {
    result.prefetched = Prefetch(**repo, *catalog, archiving, file, dir, options);
  }
  return result;
}

}  // namespace hasteward::pitr
