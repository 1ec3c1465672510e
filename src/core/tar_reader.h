// core/tar_reader: reads a tar archive (POSIX ustar, as pg_basebackup and GNU tar write it) from a
// ByteSource member by member, without temp files: the header of each member, then its content
// as a stream. Used to turn a base backup's tar stream into repository file nodes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"

namespace hasteward::core {

enum class TarEntryType { kFile, kDirectory, kSymlink };

struct TarEntry {
  // As stored, without a leading "./" or a trailing '/' ("base/1/1259", "pg_wal"; the archive's
  // root is ".").
  std::string path;
  TarEntryType type = TarEntryType::kFile;
  uint32_t mode = 0;  // permission bits (07777)
  int64_t mtime = 0;  // seconds since the epoch
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string user;  // owner names (may be empty)
  std::string group;
  std::string link_target;  // kSymlink
  uint64_t size = 0;        // kFile: content bytes
};

// Reads one archive from `source` (not owned). Not thread-safe.
class TarReader {
 public:
  static constexpr size_t kBlock = 512;

  explicit TarReader(ByteSource& source) : source_(source) {}

  // The next member's header, skipping whatever the caller left unread of the current member's
  // content; nullopt at the end-of-archive marker (a zero block). Errors: kDumpFailed when the
  // stream ends before the marker (the archive was cut short), kCorruption for a header whose
  // checksum is wrong or a member type other than file, directory or symlink (hard links,
  // devices, and extension headers are refused rather than stored wrongly); the source's own
  // errors are passed through.
  Result<std::optional<TarEntry>> Next();
  // Up to buf.size() bytes of the current member's content; 0 at its end.
  Result<size_t> ReadContent(std::span<uint8_t> buf);

  uint64_t bytes_read() const { return bytes_read_; }

 private:
  Status ReadBlock(std::array<uint8_t, kBlock>& block, bool* at_end);
  Status Skip(uint64_t bytes);

  ByteSource& source_;
  uint64_t remaining_ = 0;  // content bytes of the current member not yet read
  uint64_t padding_ = 0;    // zero bytes after the content, up to the next block boundary
  uint64_t bytes_read_ = 0;
  bool finished_ = false;
};

// Parses a tar numeric field: NUL/space-terminated octal, or GNU base-256 (high bit of the first
// byte set) for values that do not fit. kCorruption on anything else.
Result<uint64_t> ParseTarNumber(std::span<const uint8_t> field);

}  // namespace hasteward::core
