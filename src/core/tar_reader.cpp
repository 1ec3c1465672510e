#include "core/tar_reader.h"

#include <algorithm>
#include <vector>

#include "core/tar_header.h"

namespace hasteward::core {

namespace {

constexpr size_t kSkipBuffer = size_t{64} * 1024;

std::string Field(const std::array<uint8_t, TarReader::kBlock>& block, size_t off, size_t len) {
  const auto* begin = reinterpret_cast<const char*>(block.data() + off);
  const auto* end = std::find(begin, begin + len, '\0');
  return {begin, end};
}

std::span<const uint8_t> Span(const std::array<uint8_t, TarReader::kBlock>& block, size_t off,
                              size_t len) {
  return {block.data() + off, len};
}

bool AllZero(const std::array<uint8_t, TarReader::kBlock>& block) {
  return std::all_of(block.begin(), block.end(), [](uint8_t b) { return b == 0; });
}

Status CheckChecksum(const std::array<uint8_t, TarReader::kBlock>& block) {
  HS_ASSIGN_OR_RETURN(uint64_t stored,
                      ParseTarNumber(Span(block, ustar::kChecksumOff, ustar::kChecksumLen)));
  uint64_t sum = 0;
  for (size_t i = 0; i < block.size(); ++i) {
    bool in_field = i >= ustar::kChecksumOff && i < ustar::kChecksumOff + ustar::kChecksumLen;
    sum += in_field ? uint64_t{' '} : block[i];
  }
  if (sum != stored) {
    return Status(
        ErrorCode::kCorruption,
        "tar header '" + Field(block, ustar::kNameOff, ustar::kNameLen) + "' has a wrong checksum",
        "the archive is damaged; take the backup again");
  }
  return Status::Ok();
}

Result<TarEntryType> EntryType(char flag, const std::string& path) {
  switch (flag) {
    case '0':
    case '\0':
    case '7':  // contiguous file: a regular file for every reader
      return TarEntryType::kFile;
    case '5': return TarEntryType::kDirectory;
    case '2': return TarEntryType::kSymlink;
    default:
      return Status(ErrorCode::kCorruption,
                    "tar member '" + path + "' has type '" + std::string(1, flag) +
                        "', which is not a file, directory or symlink",
                    "hard links, devices and extension headers are not supported in base backups");
  }
}

}  // namespace

Result<uint64_t> ParseTarNumber(std::span<const uint8_t> field) {
  if (!field.empty() && (field[0] & 0x80) != 0) {
    // GNU base-256: big-endian two's complement in the remaining bits; negative values are
    // never valid here.
    if ((field[0] & 0x40) != 0) {
      return Status(ErrorCode::kCorruption, "tar header holds a negative number");
    }
    uint64_t value = field[0] & 0x3f;
    for (size_t i = 1; i < field.size(); ++i) {
      if ((value >> 56) != 0) {
        return Status(ErrorCode::kCorruption, "tar header number does not fit 64 bits");
      }
      value = (value << 8) | field[i];
    }
    return value;
  }
  uint64_t value = 0;
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') {
    ++i;
  }
  for (; i < field.size() && field[i] != '\0' && field[i] != ' '; ++i) {
    if (field[i] < '0' || field[i] > '7' || (value >> 61) != 0) {
      return Status(ErrorCode::kCorruption, "tar header holds a malformed octal number");
    }
    value = value * 8 + (field[i] - '0');
  }
  return value;
}

Status TarReader::ReadBlock(std::array<uint8_t, kBlock>& block, bool* at_end) {
  HS_ASSIGN_OR_RETURN(size_t n, ReadFull(source_, block));
  bytes_read_ += n;
  *at_end = n == 0;
  if (n != 0 && n != block.size()) {
    return Status(ErrorCode::kDumpFailed,
                  "the tar stream ends inside a header after " + std::to_string(bytes_read_) +
                      " bytes (cut short)",
                  "the backup was not saved; check why the backup tool stopped and retry");
  }
  return Status::Ok();
}

Status TarReader::Skip(uint64_t bytes) {
  std::vector<uint8_t> scratch(kSkipBuffer);
  while (bytes > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(bytes, scratch.size()));
    HS_ASSIGN_OR_RETURN(size_t n, ReadFull(source_, std::span<uint8_t>(scratch.data(), want)));
    bytes_read_ += n;
    if (n != want) {
      return Status(ErrorCode::kDumpFailed,
                    "the tar stream ends inside a member after " + std::to_string(bytes_read_) +
                        " bytes (cut short)",
                    "the backup was not saved; check why the backup tool stopped and retry");
    }
    bytes -= n;
  }
  return Status::Ok();
}

Result<std::optional<TarEntry>> TarReader::Next() {
  if (finished_) {
    return std::optional<TarEntry>();
  }
  HS_TRY(Skip(remaining_ + padding_));
  remaining_ = padding_ = 0;
  std::array<uint8_t, kBlock> block{};
  bool at_end = false;
  HS_TRY(ReadBlock(block, &at_end));
  if (at_end) {
    return Status(ErrorCode::kDumpFailed,
                  "the tar stream ends after " + std::to_string(bytes_read_) +
                      " bytes without its end-of-archive marker (cut short)",
                  "the backup was not saved; check why the backup tool stopped and retry");
  }
  if (AllZero(block)) {
    // The end-of-archive marker. Whatever follows (the second zero block, record padding) is
    // read and ignored so the producer is never stopped by a closed pipe.
    finished_ = true;
    std::vector<uint8_t> rest(kSkipBuffer);
    for (;;) {
      HS_ASSIGN_OR_RETURN(size_t n, source_.Read(rest));
      if (n == 0) {
        break;
      }
      bytes_read_ += n;
    }
    return std::optional<TarEntry>();
  }
  HS_TRY(CheckChecksum(block));
  TarEntry entry;
  entry.path = Field(block, ustar::kNameOff, ustar::kNameLen);
  if (Field(block, ustar::kMagicOff, 5) == "ustar") {
    std::string prefix = Field(block, ustar::kPrefixOff, ustar::kPrefixLen);
    if (!prefix.empty()) {
      entry.path = prefix + "/" + entry.path;
    }
    entry.user = Field(block, ustar::kUserOff, ustar::kOwnerLen);
    entry.group = Field(block, ustar::kGroupOff, ustar::kOwnerLen);
  }
  while (entry.path.size() > 1 && entry.path.back() == '/') {
    entry.path.pop_back();
  }
  // "./pg_wal/x" and "pg_wal/x" are the same member (pg_basebackup writes both forms).
  while (entry.path.rfind("./", 0) == 0) {
    entry.path.erase(0, 2);
  }
  HS_ASSIGN_OR_RETURN(entry.type, EntryType(static_cast<char>(block[ustar::kTypeOff]), entry.path));
  HS_ASSIGN_OR_RETURN(uint64_t mode, ParseTarNumber(Span(block, ustar::kModeOff, ustar::kIdLen)));
  HS_ASSIGN_OR_RETURN(uint64_t uid, ParseTarNumber(Span(block, ustar::kUidOff, ustar::kIdLen)));
  HS_ASSIGN_OR_RETURN(uint64_t gid, ParseTarNumber(Span(block, ustar::kGidOff, ustar::kIdLen)));
  HS_ASSIGN_OR_RETURN(uint64_t mtime,
                      ParseTarNumber(Span(block, ustar::kMtimeOff, ustar::kNumLen)));
  HS_ASSIGN_OR_RETURN(uint64_t size, ParseTarNumber(Span(block, ustar::kSizeOff, ustar::kNumLen)));
  entry.mode = static_cast<uint32_t>(mode & 07777);
  entry.uid = static_cast<uint32_t>(uid);
  entry.gid = static_cast<uint32_t>(gid);
  entry.mtime = static_cast<int64_t>(mtime);
  if (entry.type == TarEntryType::kSymlink) {
    entry.link_target = Field(block, ustar::kLinkOff, ustar::kLinkLen);
  }
  // Directories and symlinks carry no content whatever their size field says.
  entry.size = entry.type == TarEntryType::kFile ? size : 0;
  remaining_ = entry.size;
  padding_ = (kBlock - entry.size % kBlock) % kBlock;
  return std::optional<TarEntry>(std::move(entry));
}

Result<size_t> TarReader::ReadContent(std::span<uint8_t> buf) {
  if (remaining_ == 0 || buf.empty()) {
    return size_t{0};
  }
  size_t want = static_cast<size_t>(std::min<uint64_t>(remaining_, buf.size()));
  HS_ASSIGN_OR_RETURN(size_t n, source_.Read(buf.first(want)));
  if (n == 0) {
    return Status(ErrorCode::kDumpFailed,
                  "the tar stream ends inside a member after " + std::to_string(bytes_read_) +
                      " bytes (cut short)",
                  "the backup was not saved; check why the backup tool stopped and retry");
  }
  bytes_read_ += n;
  remaining_ -= n;
  return n;
}

}  // namespace hasteward::core
