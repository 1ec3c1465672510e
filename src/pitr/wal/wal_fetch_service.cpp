#include "pitr/wal/wal_fetch_service.h"

#include "core/crc32c.h"
#include "core/failpoint.h"
#include "pitr/wal/fetched_file.h"
#include "pitr/wal/wal_archive.h"

namespace hasteward::pitr {

namespace {

// Only "not archived" may be kNotFound (the server ends recovery there): anything else that is
// missing (a pack, an index file) is damage, which must stop recovery instead.
core::Status Damage(const core::Status& status) {
  return status.code() == core::ErrorCode::kNotFound
             ? core::Status(core::ErrorCode::kCorruption, status.message(), status.hint())
             : status;
}

}  // namespace

bool FailpointHidesNewest(const catalog::WalCatalog& catalog, const engine::ArchiveFile& file) {
  if (file.kind != engine::ArchiveFileKind::kSegment) {
    return false;
  }
  std::set<uint32_t> timelines = catalog.SegmentTimelines();
  if (timelines.empty() || *timelines.rbegin() != file.timeline) {
    return false;
  }
  return catalog.NewestSegment(file.timeline) == file.segment &&
         core::FailpointFails("wal-fetch-hide-newest");
}

WalFetchService::WalFetchService(repo::Repository& repo, platform::Cluster cluster,
                                 const engine::Archiving& archiving,
                                 const WalPrefetchOptions& prefetch,
                                 std::optional<catalog::WalCatalog> catalog)
    : repo_(repo),
      cluster_(std::move(cluster)),
      archiving_(archiving),
      options_(prefetch),
      catalog_(std::move(catalog)),
      prefetch_(std::make_unique<WalPrefetch>(repo, prefetch)),
      ahead_(std::make_unique<AheadFiles>([this](const catalog::ArchivedFile& archived, int fd) {
        return FillAhead(archived, fd);
      })) {}

WalFetchService::~WalFetchService() {
  // The fill-ahead writer may wait in the read-ahead: wake it, then join it before both go.
  prefetch_->Shutdown();
  ahead_->Stop();
}

core::Status WalFetchService::Reload() {
  HS_TRY(Damage(repo_.LoadIndex()));
  auto loaded = catalog::WalCatalog::Load(repo_, cluster_, archiving_);
  if (!loaded.ok()) {
    return Damage(loaded.status());
  }
  catalog_ = std::move(*loaded);
  return core::Status::Ok();
}

core::Result<const catalog::ArchivedFile*> WalFetchService::Find(const std::string& name) {
  if (catalog_) {
    if (const catalog::ArchivedFile* archived = catalog_->Find(name); archived != nullptr) {
      return archived;  // archived files never change: a cached hit stays true
    }
  }
  // A miss may be a file archived since the catalog was read: only a fresh read may say "no".
  HS_TRY(Reload());
  return catalog_->Find(name);
}

void WalFetchService::WantAfter(const engine::ArchiveFile& file) {
  std::vector<catalog::ArchivedFile> next;
  // The fill-ahead writers put these on the server's disk: reading them into memory as well
  // would only cost time and memory.
  const std::set<std::string> registered = ahead_->Registered();
  for (uint64_t segment = file.segment + 1; segment <= file.segment + options_.depth; ++segment) {
    const catalog::ArchivedFile* archived =
        catalog_->Find(archiving_.SegmentFileName(file.timeline, segment));
    if (archived == nullptr) {
      break;  // the archive (or its contiguous part) ends here
    }
    if (!registered.contains(archived->file.name)) {
      next.push_back(*archived);
    }
  }
  prefetch_->Want(next);
}

std::vector<std::string> WalFetchService::RegisterAhead(std::vector<AheadFd> files) {
  std::vector<std::string> missing;
  std::vector<AheadFile> archived;
  for (AheadFd& file : files) {
    // Only what the catalog holds; a segment archived later is fetched directly when asked for.
    const catalog::ArchivedFile* found = catalog_ ? catalog_->Find(file.name) : nullptr;
    if (found != nullptr && !hidden_.contains(file.name)) {
      archived.push_back(AheadFile{*found, std::move(file.fd)});
    } else {
      missing.push_back(file.name);
    }
  }
  ahead_->Replace(std::move(archived));
  return missing;
}

core::Result<WrittenFile> WalFetchService::FillAhead(const catalog::ArchivedFile& archived,
                                                     int fd) {
  // Read into memory already (by a request without a window): those bytes, checked on Take.
  if (std::optional<WalPrefetch::Held> held = prefetch_->TakeWhenFetched(archived.file.name)) {
    HS_TRY(WriteFetchedFile(fd, held->bytes));
    return WrittenFile{held->bytes.size(), held->crc32c};
  }
  return DumpFetchedFile(repo_, archived, fd);
}

core::Status WalFetchService::WriteContent(const catalog::ArchivedFile& archived,
                                           std::optional<WalPrefetch::Held> held, int fd,
                                           ServedWal& served) {
  if (held) {
    HS_TRY(WriteFetchedFile(fd, held->bytes));
    served.size = held->bytes.size();
    served.crc32c = held->crc32c;  // Take checked it against the bytes
    served.from_prefetch = true;
    return core::Status::Ok();
  }
  auto written = DumpFetchedFile(repo_, archived, fd);
  if (!written.ok()) {
    return Damage(written.status());
  }
  served.size = written->size;
  served.crc32c = written->crc32c;
  return core::Status::Ok();
}

core::Result<ServedWal> WalFetchService::Serve(const std::string& name, int fd) {
  FetchRequest request;
  request.name = name;
  request.fd = fd;
  return Serve(std::move(request));
}

core::Result<ServedWal> WalFetchService::Serve(FetchRequest request) {
  const std::string& name = request.name;
  auto parsed = archiving_.ParseFileName(name);
  if (!parsed.ok()) {
    return core::Usage("'" + name + "' is not a WAL file name: " + parsed.status().message());
  }
  const engine::ArchiveFile file = *parsed;
  HS_ASSIGN_OR_RETURN(const catalog::ArchivedFile* archived, Find(name));
  if (archived != nullptr && !hidden_.contains(name) && FailpointHidesNewest(*catalog_, file)) {
    hidden_.insert(name);
  }
  if (archived == nullptr && !hidden_.contains(name)) {
    // Not whole in the archive: a synchronous receiver's pieces may hold its acknowledged part.
    auto streamed = StreamedSegmentBytes(repo_, cluster_, archiving_, file);
    if (!streamed.ok()) {
      return Damage(streamed.status());
    }
    if (*streamed) {
      HS_TRY(WriteFetchedFile(request.fd, **streamed));
      ServedWal served;
      served.size = (*streamed)->size();
      served.crc32c = core::Crc32c(**streamed);
      return served;
    }
  }
  if (archived == nullptr || hidden_.contains(name)) {
    return core::NotFound("'" + name + "' is not archived for '" + cluster_.ns + "/" +
                          cluster_.name + "'");
  }
  if (core::FailpointFails("wal-fetch-read")) {
    return core::Status(core::ErrorCode::kStorage,
                        "reading '" + name + "' from the repository failed (failpoint)");
  }
  ServedWal served;
  // Complete only when this agent wrote every byte of the verified content into this very file;
  // any doubt (unknown file, another inode, a failed write) writes it again below.
  std::optional<WrittenFile> confirmed =
      request.from_ahead ? ahead_->Confirm(name, request.fd) : std::nullopt;
  if (confirmed) {
    served.size = confirmed->size;
    served.crc32c = confirmed->crc32c;
    served.from_prefetch = true;
    served.from_ahead = true;
  }
  // Taken from the read-ahead before the window moves on (Want drops what it does not list).
  std::optional<WalPrefetch::Held> held = confirmed ? std::nullopt : prefetch_->Take(name);
  // The window before the read-ahead: what the fill-ahead writers write is not read twice.
  if (request.ahead) {
    served.ahead_missing = RegisterAhead(std::move(*request.ahead));
  }
  // The next segments are read while this one is written and the server applies it.
  if (file.kind == engine::ArchiveFileKind::kSegment && options_.depth > 0) {
    WantAfter(file);
  }
  if (!confirmed) {
    HS_TRY(WriteContent(*archived, std::move(held), request.fd, served));
  }
  return served;
}

}  // namespace hasteward::pitr
