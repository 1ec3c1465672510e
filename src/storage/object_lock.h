// storage: the capability of a store that keeps objects immutable until a date (S3 Object Lock,
// docs/object-lock.md). A backend that has it returns it from Backend::ObjectLocking(); callers
// ask that one accessor, never the driver's type.
#pragma once

#include <chrono>
#include <optional>

#include "core/status.h"

namespace hasteward::storage {

struct Handle;

// Thread-safe; the period is read from the store once and cached.
class ObjectLock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~ObjectLock() = default;

  // Prepares a new repository for retention `period`: the bucket must have Object Lock (created
  // with it when missing); records the period beside the repository. kUsage with a hint when the
  // store cannot lock (an existing bucket without Object Lock).
  virtual core::Status Enable(std::chrono::seconds period) = 0;
  // The repository's lock period; nullopt when it has none.
  virtual core::Result<std::optional<std::chrono::seconds>> Period() = 0;
  // Until when `h` can be neither deleted nor changed; nullopt when it is not retained (or past).
  // kNotFound when the object does not exist.
  virtual core::Result<std::optional<TimePoint>> RetainUntil(const Handle& h) = 0;
  // Retains `h` until `until` (the same mode it was written with). A retention can only grow:
  // the storage refuses a date earlier than the current one. kNotFound when `h` does not exist.
  virtual core::Status Extend(const Handle& h, TimePoint until) = 0;
};

}  // namespace hasteward::storage
