#include "core/io_slice.h"

#include <algorithm>
#include <cerrno>

#include <unistd.h>

#include "core/fd.h"

namespace hasteward::core {

Status WriteAllAt(int fd, ByteView data, uint64_t offset) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, std::min(data.size() - done, kMaxIoSlice),
                         static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoStatus("write", errno);
    }
    if (n == 0) {
      return ErrnoStatus("write", EIO);  // a regular file that accepts nothing: never loop
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace hasteward::core
