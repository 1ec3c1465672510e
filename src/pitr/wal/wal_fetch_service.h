// pitr/wal/wal_fetch_service: wal-fetch's work for a process that keeps the repository open (the
// archive agent, or a point-in-time restore's fetch server): finds the archived file, writes it
// into a descriptor the caller handed over, and fetches the next segments of its timeline ahead
// (wal_prefetch.h). Only a file missing from the archive freshly read is "not archived": a stale
// catalog, or an error taken for absence, would end the server's recovery at a gap and lose the
// WAL after it.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>

#include "catalog/wal/wal_catalog.h"
#include "core/status.h"
#include "engine/archiving.h"
#include "pitr/wal/fetched_file.h"
#include "pitr/wal/wal_ahead_files.h"
#include "pitr/wal/wal_prefetch.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::pitr {

struct ServedWal {
  uint64_t size = 0;
  uint32_t crc32c = 0;  // of the bytes written
  bool from_prefetch = false;
  bool from_ahead = false;  // the fill-ahead file was complete: nothing written in this request
  // Files of the request's new window that are not archived (as far as the catalog knows): not
  // registered, wal-fetch removes them.
  std::vector<std::string> ahead_missing;
};

// One wal-fetch request.
struct FetchRequest {
  std::string name;
  int fd = -1;              // the file to fill (not owned)
  bool from_ahead = false;  // fd is the fill-ahead file for `name` an earlier request registered
  // The server's new window of fill-ahead files (segment requests); nullopt leaves it as it is.
  std::optional<std::vector<AheadFd>> ahead;
};

// Serves one request at a time (the caller's thread); its prefetch threads run in the background.
// The repository must outlive it; its index is loaded on first use unless `catalog` is given.
class WalFetchService {
 public:
  WalFetchService(repo::Repository& repo, platform::Cluster cluster,
                  const engine::Archiving& archiving, const WalPrefetchOptions& prefetch,
                  std::optional<catalog::WalCatalog> catalog = std::nullopt);
  ~WalFetchService();
  WalFetchService(const WalFetchService&) = delete;
  WalFetchService& operator=(const WalFetchService&) = delete;

  // Writes the archived file `name` to `fd` (from offset 0, truncated to its size). kNotFound only
  // when it is not archived in a catalog read for this request; every other failure (storage,
  // corruption, a write error) has another code.
  core::Result<ServedWal> Serve(const std::string& name, int fd);
  // As above; a request `from_ahead` whose file the agent wrote whole is answered without
  // writing, any other is written into `fd`. Then registers the request's window, if any.
  core::Result<ServedWal> Serve(FetchRequest request);

  const platform::Cluster& cluster() const { return cluster_; }
  WalPrefetch& prefetch() { return *prefetch_; }

 private:
  core::Status Reload();
  core::Result<const catalog::ArchivedFile*> Find(const std::string& name);
  void WantAfter(const engine::ArchiveFile& file);
  // Writes the archived content into `fd`: the bytes read ahead when `held`, else straight from
  // the repository; sets served's checksum and size.
  core::Status WriteContent(const catalog::ArchivedFile& archived,
                            std::optional<WalPrefetch::Held> held, int fd, ServedWal& served);
  // A fill-ahead writer's work (AheadFiles::FillFn).
  core::Result<WrittenFile> FillAhead(const catalog::ArchivedFile& archived, int fd);
  std::vector<std::string> RegisterAhead(std::vector<AheadFd> files);

  repo::Repository& repo_;
  platform::Cluster cluster_;
  const engine::Archiving& archiving_;
  WalPrefetchOptions options_;
  std::optional<catalog::WalCatalog> catalog_;
  std::set<std::string> hidden_;  // answered "not archived" by the failpoint: stays so
  std::unique_ptr<WalPrefetch> prefetch_;
  std::unique_ptr<AheadFiles> ahead_;  // may wait in prefetch_: it is shut down first
};

// HASTEWARD_FAILPOINT=wal-fetch-hide-newest:fail: the archive's newest segment answers "not
// archived", as a stale listing (or a fetch that hid an error as "missing") would. A DR
// activation must then fail its proof that replay consumed the archive (tests only).
bool FailpointHidesNewest(const catalog::WalCatalog& catalog, const engine::ArchiveFile& file);

}  // namespace hasteward::pitr
