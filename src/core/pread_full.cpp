#include "core/pread_full.h"

#include <cerrno>

#include <unistd.h>

#include "core/fd.h"

namespace hasteward::core {

Result<size_t> PreadFull(int fd, std::span<uint8_t> buf, uint64_t offset, const std::string& what) {
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::pread(fd, buf.data() + got, buf.size() - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return ErrnoStatus(what, errno);
    }
    if (n == 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  return got;
}

}  // namespace hasteward::core
