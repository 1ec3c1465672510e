#include "pitr/wal/wal_fetch_service.h"

#include <cerrno>
#include <cstring>

#include <unistd.h>

#include "core/crc32c.h"
#include "core/failpoint.h"
#include "pitr/wal/segment_sink.h"
#include "repo/restore/file_dumper.h"

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

bool FailpointHidesNewest(const WalCatalog& catalog, const engine::ArchiveFile& file) {
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
                                 std::optional<WalCatalog> catalog)
    : repo_(repo),
      cluster_(std::move(cluster)),
      archiving_(archiving),
      options_(prefetch),
      catalog_(std::move(catalog)),
      prefetch_(std::make_unique<WalPrefetch>(repo, prefetch)),
      ahead_(std::make_unique<AheadFiles>(
          [this](const std::string& name) { return prefetch_->TakeWhenFetched(name); })) {}

WalFetchService::~WalFetchService() {
  // The fill-ahead writer may wait in the read-ahead: wake it, then join it before both go.
  prefetch_->Shutdown();
  ahead_->Stop();
}

core::Status WalFetchService::Reload() {
  HS_TRY(Damage(repo_.LoadIndex()));
  auto loaded = WalCatalog::Load(repo_, cluster_, archiving_);
  if (!loaded.ok()) {
    return Damage(loaded.status());
  }
  catalog_ = std::move(*loaded);
  return core::Status::Ok();
}

core::Result<const ArchivedFile*> WalFetchService::Find(const std::string& name) {
  if (catalog_) {
    if (const ArchivedFile* archived = catalog_->Find(name); archived != nullptr) {
      return archived;  // archived files never change: a cached hit stays true
    }
  }
  // A miss may be a file archived since the catalog was read: only a fresh read may say "no".
  HS_TRY(Reload());
  return catalog_->Find(name);
}

void WalFetchService::WantAfter(const engine::ArchiveFile& file) {
  std::vector<ArchivedFile> next;
  // Already in the server's fill-ahead files: reading them again would only cost time and memory.
  const std::set<std::string> written = ahead_->Written();
  for (uint64_t segment = file.segment + 1; segment <= file.segment + options_.depth; ++segment) {
    const ArchivedFile* archived =
        catalog_->Find(archiving_.SegmentFileName(file.timeline, segment));
    if (archived == nullptr) {
      break;  // the archive (or its contiguous part) ends here
    }
    if (!written.contains(archived->file.name)) {
      next.push_back(*archived);
    }
  }
  prefetch_->Want(next);
}

std::vector<std::string> WalFetchService::RegisterAhead(std::vector<AheadFd> files) {
  std::vector<std::string> missing;
  std::vector<AheadFd> archived;
  for (AheadFd& file : files) {
    // Only what the catalog holds; a segment archived later is fetched directly when asked for.
    if (catalog_ && catalog_->Find(file.name) != nullptr && !hidden_.contains(file.name)) {
      archived.push_back(std::move(file));
    } else {
      missing.push_back(file.name);
    }
  }
  ahead_->Replace(std::move(archived));
  return missing;
}

core::Result<core::Bytes> WalFetchService::ReadContent(const std::string& name,
                                                       const ArchivedFile& archived,
                                                       ServedWal& served) {
  core::Bytes content;
  if (std::optional<WalPrefetch::Held> held = prefetch_->Take(name)) {
    content = std::move(held->bytes);
    served.crc32c = held->crc32c;  // Take checked it against the bytes
    served.from_prefetch = true;
  } else {
    SegmentSink sink(archived.node.size);
    auto dumped = repo::DumpFile(repo_, archived.node, sink, {});
    if (!dumped.ok()) {
      return Damage(dumped.status());
    }
    content = sink.Take();
    served.crc32c = core::Crc32c(content);
  }
  served.size = content.size();
  return content;
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
  HS_ASSIGN_OR_RETURN(const ArchivedFile* archived, Find(name));
  if (archived != nullptr && !hidden_.contains(name) && FailpointHidesNewest(*catalog_, file)) {
    hidden_.insert(name);
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
  std::optional<AheadWritten> confirmed =
      request.from_ahead ? ahead_->Confirm(name, request.fd) : std::nullopt;
  if (confirmed) {
    served.size = confirmed->size;
    served.crc32c = confirmed->crc32c;
    served.from_prefetch = true;
    served.from_ahead = true;
  }
  // Taken from the read-ahead before the window moves on (Want drops what it does not list).
  core::Bytes content;
  if (!confirmed) {
    HS_ASSIGN_OR_RETURN(content, ReadContent(name, *archived, served));
  }
  // The next segments are read while this one is written and the server applies it.
  if (file.kind == engine::ArchiveFileKind::kSegment && options_.depth > 0) {
    WantAfter(file);
  }
  if (!confirmed) {
    HS_TRY(WriteFetchedFile(request.fd, content));
  }
  if (request.ahead) {
    served.ahead_missing = RegisterAhead(std::move(*request.ahead));
  }
  return served;
}

}  // namespace hasteward::pitr
