// The error of a failed system call on a path, for the instant restore's file work.
#pragma once

#include <cerrno>
#include <string>

#include "core/fd.h"
#include "core/status.h"

namespace hasteward::jobs {

// "<what> '<path>': <strerror(errno)>", with core::ErrnoStatus's code and hints.
inline core::Status PathErrnoStatus(const std::string& what, const std::string& path) {
  return core::ErrnoStatus(what + " '" + path + "'", errno);
}

}  // namespace hasteward::jobs
