// The xbstream ("mbstream") format of `mariadb-backup --backup --stream=mbstream`, read file by
// file from a byte stream. A stream is a sequence of chunks, each
//   "XBSTCK01", flags (1 byte), type (1 byte: 'P' payload, 'E' end of file),
//   path length (4 bytes LE), path, and for 'P': payload length (8 LE), offset (8 LE),
//   CRC-32 of the payload (4 LE), payload.
// Files may be interleaved: mariadb-backup copies the redo log (ib_logfile0) in its own thread for
// as long as the data files are being copied, so under a write load the log's chunks arrive in
// the middle of a data file's (and with --parallel > 1, data files interleave too). The file being
// read streams straight through; a chunk of any other file goes to that file's spool (an anonymous
// temporary file, gone when the reader is) and the file is handed out once its 'E' chunk came.
// The redo log is always spooled, so the large data files are the ones that stream. Offsets must
// follow each other within every file (a chunk that skips or repeats bytes is refused rather
// than stored wrongly), and a file sent again after its end is refused.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "core/byte_stream.h"
#include "core/fd.h"
#include "core/status.h"

namespace hasteward::engine::mariadb {

class MbstreamReader {
 public:
  explicit MbstreamReader(core::ByteSource& source) : source_(source) {}

  // The path of the next file ("ibdata1", "shop/accounts.ibd"), skipping what the caller left
  // unread of the current one; nullopt at the end of the stream. Errors: kCorruption for a bad
  // magic, an unknown chunk type, a path that is absolute or has "..", a checksum mismatch or
  // chunks out of order; kDumpFailed when the stream ends inside a chunk or inside a file (the
  // tool was cut short); kStorage when a spool cannot be written (disk full); the source's own
  // errors are passed through.
  core::Result<std::optional<std::string>> Next();
  // Up to buf.size() bytes of the current file's content; 0 at its end.
  core::Result<size_t> ReadContent(std::span<uint8_t> buf);

  uint64_t bytes_read() const { return bytes_read_; }

 private:
  struct Header {
    char type = 0;
    std::string path;
    uint64_t length = 0;
    uint64_t offset = 0;
    uint32_t checksum = 0;
  };
  // A file whose chunks arrived while another one was being read.
  struct Spool {
    core::UniqueFd fd;
    uint64_t size = 0;
    bool ended = false;
  };
  // Reads one chunk header; nullopt at a clean end of stream (no byte of a header read).
  core::Result<std::optional<Header>> ReadHeader();
  core::Status ReadExact(std::span<uint8_t> buf, bool* clean_end);
  core::Status FinishPayload();
  // Stores a chunk of a file other than the streaming one in its spool (opened on its first
  // chunk); the chunk's payload is read and checked here.
  core::Status SpoolChunk(const Header& header);
  // Makes the first spooled file whose end has arrived the current one; false when none has.
  core::Result<bool> ServeEndedSpool();
  core::Result<size_t> ReadServed(std::span<uint8_t> buf);

  core::ByteSource& source_;
  std::string path_;          // the current file ("" before the first)
  bool in_file_ = false;      // between the current file's first chunk and its 'E' chunk
  uint64_t file_offset_ = 0;  // content bytes of the current file delivered so far
  uint64_t remaining_ = 0;    // payload bytes of the current chunk not yet read
  uint32_t expected_crc_ = 0;
  uint32_t crc_ = 0;
  std::map<std::string, Spool> spools_;  // files in flight besides the current one
  std::optional<Spool> served_;          // the current file, when it comes from a spool
  std::set<std::string> seen_;           // files already started (one entry per file)
  uint64_t bytes_read_ = 0;
};

}  // namespace hasteward::engine::mariadb
