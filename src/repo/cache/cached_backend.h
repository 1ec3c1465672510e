// repo/cache/cached_backend: a local on-disk cache of the repository files that never change,
// for short-lived commands that open the repository again and again (wal-push and wal-fetch run
// once per WAL file). In the restic format index and snapshot files, and pack files, are named by
// the SHA-256 of their bytes, so a cached copy is right exactly when its bytes hash to the name:
// every read from the cache is checked, and a copy that fails the check (damaged, truncated) is
// read again from the repository. Like restic's cache: what it saves is round trips to remote
// storage, not the decryption.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "storage/backend.h"

namespace hasteward::repo {

// Pack ranges at most this long are cached: tree blobs (a directory of 64 WAL files is a few
// KiB compressed), not the content a restore streams. A small compressed data blob (an idle
// server's segment) may be cached too: like everything here it is the repository's encrypted
// bytes, so the cache reveals no more than the repository.
inline constexpr uint64_t kMaxCachedPackRange = uint64_t{16} * 1024;

// Wraps `inner`. Cached: whole index and snapshot files, and pack ranges up to
// kMaxCachedPackRange, under `dir` (created 0700; files 0600). Everything else passes through.
// A cache that cannot be written is skipped, never an error. Listing index or snapshot files
// drops the cached ones no longer listed (removed by prune). Thread-safe like `inner`.
class CachedBackend : public storage::Backend {
 public:
  CachedBackend(std::unique_ptr<storage::Backend> inner, std::string dir);

  std::string Location() const override { return inner_->Location(); }
  core::Status Create() override { return inner_->Create(); }
  core::Status Save(const storage::Handle& h, core::ByteView data) override;
  core::Status Load(const storage::Handle& h, uint64_t offset, uint64_t length,
                    core::Bytes* out) override;
  core::Result<storage::FileInfo> Stat(const storage::Handle& h) override {
    return inner_->Stat(h);
  }
  core::Status List(storage::FileType t,
                    const std::function<core::Status(const storage::FileInfo&)>& fn) override;
  core::Status Remove(const storage::Handle& h) override;
  int Connections() const override { return inner_->Connections(); }
  bool ListSeesCompletedWrites() const override { return inner_->ListSeesCompletedWrites(); }
  storage::ObjectLock* ObjectLocking() override { return inner_->ObjectLocking(); }
  storage::RequestCounts Counts() const override { return inner_->Counts(); }

 private:
  // The cache file for the read, "" when the read is not cached.
  std::string PathFor(const storage::Handle& h, uint64_t offset, uint64_t length) const;

  std::unique_ptr<storage::Backend> inner_;
  std::string dir_;
};

}  // namespace hasteward::repo
