#include "pitr/wal/wal_fetch_service.h"

#include <cerrno>
#include <cstring>

#include <unistd.h>

#include "core/failpoint.h"
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

// The whole content at offset 0 of a descriptor the client created for it.
core::Status WriteAt(int fd, const core::Bytes& content) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t wrote =
        ::pwrite(fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
    if (wrote < 0 && errno == EINTR) {
      continue;
    }
    if (wrote <= 0) {
      return core::Status(core::ErrorCode::kStorage,
                          std::string("writing the fetched file failed: ") + std::strerror(errno),
                          "check the space and permissions of the server's pg_wal");
    }
    done += static_cast<size_t>(wrote);
  }
  if (::ftruncate(fd, static_cast<off_t>(content.size())) != 0) {
    return core::Status(core::ErrorCode::kStorage,
                        std::string("truncating the fetched file failed: ") + std::strerror(errno));
  }
  return core::Status::Ok();
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
      prefetch_(std::make_unique<WalPrefetch>(repo, prefetch)) {}

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
  for (uint64_t segment = file.segment + 1; segment <= file.segment + options_.depth; ++segment) {
    const ArchivedFile* archived =
        catalog_->Find(archiving_.SegmentFileName(file.timeline, segment));
    if (archived == nullptr) {
      break;  // the archive (or its contiguous part) ends here
    }
    next.push_back(*archived);
  }
  prefetch_->Want(next);
}

core::Result<ServedWal> WalFetchService::Serve(const std::string& name, int fd) {
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
  core::Bytes content;
  if (std::optional<WalPrefetch::Held> held = prefetch_->Take(name)) {
    content = std::move(held->bytes);
    served.sha256 = held->sha256;  // Take checked it against the bytes
    served.from_prefetch = true;
  } else {
    core::MemorySink sink;
    auto dumped = repo::DumpFile(repo_, archived->node, sink, {});
    if (!dumped.ok()) {
      return Damage(dumped.status());
    }
    content = sink.data();
    served.sha256 = repo::Sha256(content);
  }
  // The next segments are read while this one is written and the server applies it.
  if (file.kind == engine::ArchiveFileKind::kSegment && options_.depth > 0) {
    WantAfter(file);
  }
  HS_TRY(WriteAt(fd, content));
  served.size = content.size();
  return served;
}

}  // namespace hasteward::pitr
