// core/tar_writer: writes a POSIX tar archive (pax interchange format) to a ByteSink, member by
// member, without temp files: a ustar header per member, and before it a pax extended header for
// whatever ustar cannot hold (a path that does not fit its 100 + 155 bytes, a link target over 100
// bytes, a size of 8 GiB or more, ids over 2097151, owner names over 32 bytes). GNU tar, bsdtar,
// Python's tarfile and core/tar_reader read it. Used by `export` of a file-tree snapshot.
#pragma once

#include <cstdint>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"
#include "core/tar_reader.h"

namespace hasteward::core {

// Writes one archive into `sink` (not owned, not closed). Not thread-safe.
class TarWriter {
 public:
  explicit TarWriter(ByteSink& sink) : sink_(sink), content_(*this) {}

  // Starts a member. A kFile member's content (exactly entry.size bytes) follows through
  // Content(); a directory or symlink member has none. kInternal when the previous member's
  // content is incomplete (a bug of the caller: the archive would be misaligned).
  Status Begin(const TarEntry& entry);
  // The current member's content goes here; writing more than its declared size is kInternal.
  ByteSink& Content() { return content_; }
  // Ends the member (pads its content to the block size); kInternal when it is short.
  Status End();
  // Ends the archive (two zero blocks). The sink is left open.
  Status Finish();

  uint64_t bytes_written() const { return bytes_written_; }

 private:
  // Counts and bounds what goes into the current member.
  class ContentSink : public ByteSink {
   public:
    explicit ContentSink(TarWriter& writer) : writer_(writer) {}
    Status Write(ByteView data) override;
    Status Close() override { return Status::Ok(); }

   private:
    TarWriter& writer_;
  };

  Status Emit(ByteView data);
  Status WriteHeader(const TarEntry& entry, const std::string& name, char type, uint64_t size);

  ByteSink& sink_;
  ContentSink content_;
  uint64_t remaining_ = 0;  // content bytes of the current member still expected
  uint64_t padding_ = 0;    // zero bytes after the current member's content
  bool in_member_ = false;
  uint64_t bytes_written_ = 0;
};

// The pax extended header records ("<len> key=value\n", len counting itself) for `entry`, empty
// when its ustar header holds everything. Exposed for tests.
std::string PaxRecordsFor(const TarEntry& entry);

}  // namespace hasteward::core
