#pragma once

#include <string>

#include "storage/backend.h"

namespace hasteward::storage {

// A repository directory on a local (or mounted) filesystem, laid out exactly as restic's local
// backend: data/<2 hex>/<id>, files 0400-style read-only after write, directories 0700.
// Save writes "<name>.tmp-<random>", fsyncs it, renames it into place and fsyncs the directory,
// so a crash leaves either the complete object or nothing (plus a temp file later removed).
// Lock files are renamed into place without fsync: a lock outlives no crash of its holder.
class LocalBackend : public Backend {
 public:
  explicit LocalBackend(std::string root) : root_(std::move(root)) {}

  std::string Location() const override { return root_; }
  core::Status Create() override;
  core::Status Save(const Handle& h, core::ByteView data) override;
  core::Status Load(const Handle& h, uint64_t offset, uint64_t length, core::Bytes* out) override;
  core::Result<FileInfo> Stat(const Handle& h) override;
  core::Status List(FileType t, const std::function<core::Status(const FileInfo&)>& fn) override;
  core::Status Remove(const Handle& h) override;
  int Connections() const override { return 8; }
  bool ListSeesCompletedWrites() const override { return true; }  // one POSIX directory

  // The path of an object (exposed for tests that damage files on purpose).
  std::string PathOf(const Handle& h) const;

 private:
  std::string root_;
};

}  // namespace hasteward::storage
