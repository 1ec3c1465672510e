#include "core/fd.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace hasteward::core {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    Reset(other.Release());
  }
  return *this;
}

int UniqueFd::Release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::Reset(int fd) {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = fd;
}

Status ErrnoStatus(const std::string& what, int err) {
  std::string msg = what + ": " + std::strerror(err);
  Status s(ErrorCode::kStorage, msg);
  if (err == EINTR || err == EAGAIN || err == ETIMEDOUT || err == ECONNRESET) {
    s.SetRetryable();
  }
  if (err == ENOSPC || err == EDQUOT) {
    s.WithHint("free space on the target filesystem, then run the command again");
  } else if (err == EACCES || err == EPERM) {
    s.WithHint("check the permissions of the path");
  }
  return s;
}

Status WriteAll(int fd, ByteView data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoStatus("write", errno);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<size_t> ReadSome(int fd, std::span<uint8_t> buf) {
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n >= 0) {
      return static_cast<size_t>(n);
    }
    if (errno != EINTR) {
      return ErrnoStatus("read", errno);
    }
  }
}

Result<std::string> ReadFileToString(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    if (err == ENOENT) {
      return NotFound("file '" + path + "' does not exist");
    }
    return ErrnoStatus("open '" + path + "'", err);
  }
  std::string out;
  char buf[65536];
  while (true) {
    HS_ASSIGN_OR_RETURN(
        size_t n,
        ReadSome(fd.get(), std::span<uint8_t>(reinterpret_cast<uint8_t*>(buf), sizeof(buf))));
    if (n == 0) {
      break;
    }
    out.append(buf, n);
  }
  return out;
}

}  // namespace hasteward::core
