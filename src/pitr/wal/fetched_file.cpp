#include "pitr/wal/fetched_file.h"

#include <cerrno>
#include <cstring>

#include <unistd.h>

#include "core/crc32c.h"
#include "repo/restore/file_dumper.h"

namespace hasteward::pitr {

namespace {

core::Status WriteFailed(const char* what, int error) {
  return core::Status(core::ErrorCode::kStorage,
                      std::string(what) + " the fetched file failed: " + std::strerror(error),
                      "check the space and permissions of the server's pg_wal");
}

core::Status WriteAt(int fd, core::ByteView data, uint64_t offset) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t wrote =
        ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (wrote < 0 && errno == EINTR) {
      continue;
    }
    if (wrote <= 0) {
      return WriteFailed("writing", wrote < 0 ? errno : ENOSPC);
    }
    done += static_cast<size_t>(wrote);
  }
  return core::Status::Ok();
}

core::Status TruncateTo(int fd, uint64_t size) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    return WriteFailed("truncating", errno);
  }
  return core::Status::Ok();
}

// Writes what DumpFile hands on, in order, at the next offset, and keeps the running CRC.
class FetchedFileSink : public core::ByteSink {
 public:
  explicit FetchedFileSink(int fd) : fd_(fd) {}
  core::Status Write(core::ByteView data) override {
    HS_TRY(WriteAt(fd_, data, written_.size));
    written_.size += data.size();
    written_.crc32c = core::Crc32cExtend(written_.crc32c, data);
    return core::Status::Ok();
  }
  core::Status Close() override { return TruncateTo(fd_, written_.size); }
  const WrittenFile& written() const { return written_; }

 private:
  int fd_;
  WrittenFile written_;
};

}  // namespace

core::Status WriteFetchedFile(int fd, const core::Bytes& content) {
  HS_TRY(WriteAt(fd, content, 0));
  return TruncateTo(fd, content.size());
}

core::Result<WrittenFile> DumpFetchedFile(repo::Repository& repo,
                                          const catalog::ArchivedFile& archived, int fd) {
  FetchedFileSink sink(fd);
  repo::DumpOptions dump;
  // One file per caller thread, read in order: the callers (the request, the fill-ahead
  // writers) are the parallelism; more threads per file only took CPU from the others.
  dump.threads = 1;
  HS_TRY(repo::DumpFile(repo, archived.node, sink, dump).status());
  HS_TRY(sink.Close());
  if (sink.written().size != archived.node.size) {
    return core::Status(core::ErrorCode::kCorruption,
                        "'" + archived.file.name + "' read back " +
                            std::to_string(sink.written().size) + " bytes, the archive says " +
                            std::to_string(archived.node.size),
                        "run `hasteward verify` on the repository");
  }
  return sink.written();
}

}  // namespace hasteward::pitr
