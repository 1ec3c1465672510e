#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "storage/backend.h"

namespace hasteward::storage {

// Bounds the number of requests in flight to the inner backend (restic's "connections"): a call
// waits until fewer than `limit` calls are running. Thread-safe.
class LimitBackend : public Backend {
 public:
  LimitBackend(std::unique_ptr<Backend> inner, int limit);

  std::string Location() const override { return inner_->Location(); }
  core::Status Create() override;
  core::Status Save(const Handle& h, core::ByteView data) override;
  core::Status Load(const Handle& h, uint64_t offset, uint64_t length, core::Bytes* out) override;
  core::Result<FileInfo> Stat(const Handle& h) override;
  core::Status List(FileType t, const std::function<core::Status(const FileInfo&)>& fn) override;
  core::Status Remove(const Handle& h) override;
  int Connections() const override { return limit_; }
  bool ListSeesCompletedWrites() const override { return inner_->ListSeesCompletedWrites(); }
  ObjectLock* ObjectLocking() override { return inner_->ObjectLocking(); }
  RequestCounts Counts() const override { return inner_->Counts(); }

  // The most calls that were ever in flight at once (for tests).
  int PeakInFlightForTest() const;

 private:
  class Slot;
  std::unique_ptr<Backend> inner_;
  int limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  int peak_ = 0;
};

}  // namespace hasteward::storage
