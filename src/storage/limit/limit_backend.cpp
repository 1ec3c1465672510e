#include "storage/limit/limit_backend.h"

#include <algorithm>

namespace hasteward::storage {

// Holds one of the backend's slots for its lifetime.
class LimitBackend::Slot {
 public:
  explicit Slot(LimitBackend& b) : b_(b) {
    std::unique_lock lock(b_.mu_);
    b_.cv_.wait(lock, [&] { return b_.in_flight_ < b_.limit_; });
    ++b_.in_flight_;
    b_.peak_ = std::max(b_.peak_, b_.in_flight_);
  }
  ~Slot() {
    {
      std::lock_guard lock(b_.mu_);
      --b_.in_flight_;
    }
    b_.cv_.notify_one();
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  LimitBackend& b_;
};

LimitBackend::LimitBackend(std::unique_ptr<Backend> inner, int limit)
    : inner_(std::move(inner)), limit_(std::max(1, limit)) {}

core::Status LimitBackend::Create() {
  Slot s(*this);
  return inner_->Create();
}

core::Status LimitBackend::Save(const Handle& h, core::ByteView data) {
  Slot s(*this);
  return inner_->Save(h, data);
}

core::Status LimitBackend::Load(const Handle& h, uint64_t offset, uint64_t length,
                                core::Bytes* out) {
  Slot s(*this);
  return inner_->Load(h, offset, length, out);
}

core::Result<FileInfo> LimitBackend::Stat(const Handle& h) {
  Slot s(*this);
  return inner_->Stat(h);
}

core::Status LimitBackend::List(FileType t,
                                const std::function<core::Status(const FileInfo&)>& fn) {
  Slot s(*this);
  return inner_->List(t, fn);
}

core::Status LimitBackend::Remove(const Handle& h) {
  Slot s(*this);
  return inner_->Remove(h);
}

int LimitBackend::PeakInFlightForTest() const {
  std::lock_guard lock(mu_);
  return peak_;
}

}  // namespace hasteward::storage
