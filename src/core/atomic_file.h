#pragma once

#include <memory>
#include <string>

#include <sys/types.h>

#include "core/byte_stream.h"
#include "core/fd.h"

namespace hasteward::core {

struct AtomicFileOptions {
  // Permissions of the committed file. The temp file is 0600 until the commit, so a secret is
  // never readable by others, not even half-written.
  mode_t mode = 0644;
  // When non-zero, missing parent directories are created with this mode (mkdir -p).
  mode_t parent_dir_mode = 0;
  // False: Close renames without fsync of the file or its directory. Only for a file its reader
  // makes durable itself if it keeps it (a WAL file restored for PostgreSQL, which fsyncs the
  // segments it keeps and fetches again after a crash); the rename still shows it only whole.
  bool durable = true;
};

// The one way HASteward replaces a file: data goes to a temp file in the same directory
// ("<path>.tmp-<random>"), Close() fsyncs it, sets the mode, renames it over <path> and fsyncs the
// directory, so after a crash the path holds either the old or the complete new content, and a
// returned Close() means the new content is durable. Destroyed without a successful Close (an
// error mid-way), it removes the temp file and leaves the previous file untouched.
class AtomicFileSink : public ByteSink {
 public:
  static Result<std::unique_ptr<AtomicFileSink>> Create(const std::string& path,
                                                        const AtomicFileOptions& opts = {});
  ~AtomicFileSink() override;
  AtomicFileSink(const AtomicFileSink&) = delete;
  AtomicFileSink& operator=(const AtomicFileSink&) = delete;
  Status Write(ByteView data) override;
  // Commits the file. Idempotent after success.
  Status Close() override;
  // The temp file, open for reading and writing: another process handed it (SCM_RIGHTS) may write
  // the content, which this side then checks before Close. Owned by the sink.
  int fd() const { return fd_.get(); }

 private:
  AtomicFileSink(std::string path, std::string tmp, UniqueFd fd, mode_t mode, bool durable)
      : path_(std::move(path)),
        tmp_(std::move(tmp)),
        fd_(std::move(fd)),
        mode_(mode),
        durable_(durable) {}
  std::string path_;
  std::string tmp_;
  UniqueFd fd_;
  mode_t mode_;
  bool durable_;
  bool done_ = false;
};

// Writes `data` to `path` through an AtomicFileSink (temp, fsync, rename, fsync of the directory).
Status WriteFileAtomically(const std::string& path, ByteView data,
                           const AtomicFileOptions& opts = {});

// fsync of a directory, so a rename or create inside it survives a crash. Filesystems that cannot
// fsync a directory (EINVAL) are accepted.
Status FsyncDir(const std::string& dir);

}  // namespace hasteward::core
