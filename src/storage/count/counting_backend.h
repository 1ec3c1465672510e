#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "storage/backend.h"

namespace hasteward::storage {

// Counts calls by kind and bytes moved (every attempt counts: it sits below the retry decorator,
// so the counts are the requests the storage actually served). Thread-safe.
class CountingBackend : public Backend {
 public:
  explicit CountingBackend(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}

  std::string Location() const override { return inner_->Location(); }
  core::Status Create() override { return inner_->Create(); }
  core::Status Save(const Handle& h, core::ByteView data) override;
  core::Status Load(const Handle& h, uint64_t offset, uint64_t length, core::Bytes* out) override;
  core::Result<FileInfo> Stat(const Handle& h) override;
  core::Status List(FileType t, const std::function<core::Status(const FileInfo&)>& fn) override;
  core::Status Remove(const Handle& h) override;
  int Connections() const override { return inner_->Connections(); }
  bool ListSeesCompletedWrites() const override { return inner_->ListSeesCompletedWrites(); }
  ObjectLock* ObjectLocking() override { return inner_->ObjectLocking(); }
  RequestCounts Counts() const override;

 private:
  std::unique_ptr<Backend> inner_;
  std::atomic<uint64_t> save_{0}, load_{0}, stat_{0}, list_{0}, remove_{0};
  std::atomic<uint64_t> bytes_written_{0}, bytes_read_{0};
};

}  // namespace hasteward::storage
