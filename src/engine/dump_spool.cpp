#include "engine/dump_spool.h"

#include <algorithm>
#include <cerrno>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace hasteward::engine {

namespace {

constexpr size_t kChunk = size_t{1} << 20;

}  // namespace

core::Result<DumpSpool> DumpSpool::Fill(DumpStream& dump) {
  HS_ASSIGN_OR_RETURN(core::TempDir dir, core::TempDir::Create("hasteward-spool-"));
  std::string path = dir.path() + "/dump.sql";
  core::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid())
    return core::ErrnoStatus("create dump spool '" + path + "'", errno);
  // Why unlinked at once: the dump holds data and password hashes; the open descriptor is the
  // only way to it, so a crash or kill leaves nothing behind.
  if (::unlink(path.c_str()) != 0)
    return core::ErrnoStatus("unlink dump spool '" + path + "'", errno);
  DumpSpool spool(std::move(dir), std::move(fd));
  std::vector<uint8_t> buf(kChunk);
  while (true) {
    HS_ASSIGN_OR_RETURN(size_t n, dump.Read(buf));
    if (n == 0)
      break;
    HS_TRY(core::WriteAll(spool.fd_.get(), core::ByteView(buf.data(), n))
               .Wrap("write dump spool (set TMPDIR to a disk with room for the dump)"));
    spool.size_ += n;
  }
  spool.metadata_ = dump.metadata();
  return spool;
}

core::Status DumpSpool::CopyTo(core::ByteSink& sink) const {
  if (::lseek(fd_.get(), 0, SEEK_SET) != 0)
    return core::ErrnoStatus("rewind dump spool", errno);
  std::vector<uint8_t> buf(kChunk);
  uint64_t left = size_;
  while (left > 0) {
    HS_ASSIGN_OR_RETURN(size_t n, core::ReadSome(fd_.get(), buf));
    if (n == 0)
      return core::Internal("dump spool ended " + std::to_string(left) + " bytes early");
    HS_TRY(sink.Write(core::ByteView(buf.data(), n)));
    left -= std::min<uint64_t>(left, n);
  }
  return core::Status::Ok();
}

}  // namespace hasteward::engine
