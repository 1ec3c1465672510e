#pragma once

#include <span>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"

namespace hasteward::core {

// Owns a POSIX file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

// A status for a failed syscall: "<what>: <strerror(errno)>". ENOSPC/EDQUOT/EACCES are permanent,
// EINTR/EAGAIN retryable.
Status ErrnoStatus(const std::string& what, int err);

// Writes all of `data` to `fd`, retrying on EINTR and short writes.
Status WriteAll(int fd, ByteView data);

// Reads from fd into buf, retrying on EINTR. Returns 0 at end of file.
Result<size_t> ReadSome(int fd, std::span<uint8_t> buf);

// Reads a whole (small) file.
Result<std::string> ReadFileToString(const std::string& path);

// ByteSource over a file descriptor (not owned unless `owned` is set).
class FdSource : public ByteSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  Result<size_t> Read(std::span<uint8_t> buf) override { return ReadSome(fd_, buf); }

 private:
  int fd_;
};

class FdSink : public ByteSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  Status Write(ByteView data) override { return WriteAll(fd_, data); }
  Status Close() override { return Status::Ok(); }

 private:
  int fd_;
};

}  // namespace hasteward::core
