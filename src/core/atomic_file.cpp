#include "core/atomic_file.h"

#include <cerrno>

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hex.h"
#include "core/temp_dir.h"

namespace hasteward::core {

namespace {

// Random rather than the PID: two threads, or two hosts sharing a directory over NFS, may write
// the same path at once, and a stale temp of a dead process may carry a recycled PID.
std::string RandomSuffix() {
  uint8_t raw[8] = {};
  if (RAND_bytes(raw, sizeof(raw)) != 1) {
    // Never reached with a working OpenSSL; O_EXCL still refuses to clobber a rival's temp file.
    return "pid" + std::to_string(::getpid());
  }
  return HexEncode(ByteView(raw, sizeof(raw)));
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

}  // namespace

Status FsyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid())
    return ErrnoStatus("open directory '" + dir + "'", errno);
  if (::fsync(fd.get()) != 0 && errno != EINVAL)
    return ErrnoStatus("fsync directory '" + dir + "'", errno);
  return Status::Ok();
}

Result<std::unique_ptr<AtomicFileSink>> AtomicFileSink::Create(const std::string& path,
                                                               const AtomicFileOptions& opts) {
  std::string tmp = path + ".tmp-" + RandomSuffix();
  constexpr int kFlags = O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC;
  UniqueFd fd(::open(tmp.c_str(), kFlags, 0600));
  if (!fd.valid() && errno == ENOENT && opts.parent_dir_mode != 0) {
    HS_TRY(MakeDirs(ParentDir(path), opts.parent_dir_mode));
    fd.Reset(::open(tmp.c_str(), kFlags, 0600));
  }
  if (!fd.valid())
    return ErrnoStatus("create '" + tmp + "'", errno);
  return std::unique_ptr<AtomicFileSink>(
      new AtomicFileSink(path, tmp, std::move(fd), opts.mode, opts.durable));
}

AtomicFileSink::~AtomicFileSink() {
  if (!done_) {
    fd_.Reset();
    ::unlink(tmp_.c_str());
  }
}

Status AtomicFileSink::Write(ByteView data) {
  return WriteAll(fd_.get(), data);
}

Status AtomicFileSink::Close() {
  if (done_)
    return Status::Ok();
  if (!fd_.valid())
    return Internal("'" + tmp_ + "' was already abandoned after a failed commit");
  if (durable_ && ::fsync(fd_.get()) != 0)
    return ErrnoStatus("fsync '" + tmp_ + "'", errno);
  if (::fchmod(fd_.get(), mode_) != 0)
    return ErrnoStatus("chmod '" + tmp_ + "'", errno);
  fd_.Reset();
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    return ErrnoStatus("rename '" + tmp_ + "' to '" + path_ + "'", errno);
  // From here the new content is under the final name: the temp no longer exists to clean up.
  done_ = true;
  return durable_ ? FsyncDir(ParentDir(path_)) : Status::Ok();
}

Status WriteFileAtomically(const std::string& path, ByteView data, const AtomicFileOptions& opts) {
  HS_ASSIGN_OR_RETURN(auto sink, AtomicFileSink::Create(path, opts));
  HS_TRY(sink->Write(data));
  return sink->Close();
}

}  // namespace hasteward::core
