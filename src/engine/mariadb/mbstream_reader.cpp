#include "engine/mariadb/mbstream_reader.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

namespace hasteward::engine::mariadb {

namespace {

constexpr char kMagic[] = "XBSTCK01";
constexpr size_t kMagicSize = 8;
constexpr char kPayload = 'P';
constexpr char kEndOfFile = 'E';
// mariadb-backup's paths are below FN_REFLEN (512); anything far longer is not a header.
constexpr uint32_t kMaxPathLength = 4096;
constexpr size_t kSkipBuffer = size_t{64} * 1024;

uint64_t LittleEndian(const uint8_t* bytes, size_t count) {
  uint64_t value = 0;
  for (size_t i = count; i > 0; --i) {
    value = (value << 8) | bytes[i - 1];
  }
  return value;
}

core::Status Corrupt(const std::string& what) {
  return core::Status(core::ErrorCode::kCorruption, "the mbstream of 'mariadb-backup' " + what,
                      "the backup was not saved; check the mariadb-backup version and retry");
}

core::Status CutShort(const std::string& where) {
  return core::Status(core::ErrorCode::kDumpFailed,
                      "the mbstream of 'mariadb-backup' ended inside " + where,
                      "the backup was not saved; check the tool's error and retry");
}

// The redo log, which mariadb-backup copies in its own thread from the start of a backup to its
// end: spooled from its first chunk so that the data files, far larger, are the ones that stream.
bool CopiedAlongside(const std::string& path) {
  return path == "ib_logfile0" || path == "xtrabackup_logfile";
}

// An anonymous temporary file in TMPDIR: it has no name, so nothing is left behind on any exit.
core::Result<core::UniqueFd> OpenSpoolFile() {
  std::error_code error;
  std::string dir = std::filesystem::temp_directory_path(error).string();
  if (error) {
    dir = "/tmp";
  }
  core::UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    return core::ErrnoStatus("open a spool for an interleaved mbstream file in '" + dir + "'",
                             errno);
  }
  return fd;
}

bool SafePath(const std::string& path) {
  if (path.empty() || path.front() == '/') {
    return false;
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) {
      end = path.size();
    }
    std::string part = path.substr(start, end - start);
    if (part == ".." || part == "." || part.empty()) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

}  // namespace

core::Status MbstreamReader::ReadExact(std::span<uint8_t> buf, bool* clean_end) {
  size_t done = 0;
  while (done < buf.size()) {
    HS_ASSIGN_OR_RETURN(size_t n, source_.Read(buf.subspan(done)));
    if (n == 0) {
      if (done == 0 && clean_end != nullptr) {
        *clean_end = true;
        return core::Status::Ok();
      }
      return CutShort("a chunk header");
    }
    done += n;
    bytes_read_ += n;
  }
  return core::Status::Ok();
}

core::Result<std::optional<MbstreamReader::Header>> MbstreamReader::ReadHeader() {
  std::array<uint8_t, kMagicSize + 6> fixed{};
  bool clean_end = false;
  HS_TRY(ReadExact(fixed, &clean_end));
  if (clean_end) {
    return std::optional<Header>();
  }
  if (std::memcmp(fixed.data(), kMagic, kMagicSize) != 0) {
    return Corrupt("has no chunk magic at byte " + std::to_string(bytes_read_ - fixed.size()));
  }
  Header header;
  header.type = static_cast<char>(fixed[kMagicSize + 1]);
  auto path_length = static_cast<uint32_t>(LittleEndian(&fixed[kMagicSize + 2], 4));
  if (header.type != kPayload && header.type != kEndOfFile) {
    return Corrupt("has a chunk of unknown type " + std::to_string(fixed[kMagicSize + 1]));
  }
  if (path_length == 0 || path_length > kMaxPathLength) {
    return Corrupt("has a path of " + std::to_string(path_length) + " bytes");
  }
  header.path.resize(path_length);
  HS_TRY(
      ReadExact(std::span(reinterpret_cast<uint8_t*>(header.path.data()), path_length), nullptr));
  while (header.path.rfind("./", 0) == 0) {
    header.path.erase(0, 2);  // "./ibdata1" is "ibdata1"
  }
  if (!SafePath(header.path)) {
    return Corrupt("names the unsafe path '" + header.path + "'");
  }
  if (header.type == kPayload) {
    std::array<uint8_t, 20> sizes{};
    HS_TRY(ReadExact(sizes, nullptr));
    header.length = LittleEndian(sizes.data(), 8);
    header.offset = LittleEndian(&sizes[8], 8);
    header.checksum = static_cast<uint32_t>(LittleEndian(&sizes[16], 4));
  }
  return std::optional<Header>(std::move(header));
}

core::Status MbstreamReader::FinishPayload() {
  if (crc_ != expected_crc_) {
    return Corrupt("has a checksum mismatch in '" + path_ + "' before offset " +
                   std::to_string(file_offset_));
  }
  return core::Status::Ok();
}

core::Status MbstreamReader::SpoolChunk(const Header& header) {
  auto found = spools_.find(header.path);
  if (found == spools_.end()) {
    if (!seen_.insert(header.path).second) {
      return Corrupt("sends '" + header.path + "' again after its end");
    }
    HS_ASSIGN_OR_RETURN(core::UniqueFd fd, OpenSpoolFile());
    found = spools_.emplace(header.path, Spool{std::move(fd), 0, false}).first;
  }
  Spool& spool = found->second;
  if (header.type == kEndOfFile) {
    spool.ended = true;
    return core::Status::Ok();
  }
  if (header.offset != spool.size) {
    return Corrupt("sends '" + header.path + "' at offset " + std::to_string(header.offset) +
                   " after " + std::to_string(spool.size) + " bytes");
  }
  std::vector<uint8_t> buf(static_cast<size_t>(std::min<uint64_t>(header.length, kSkipBuffer)));
  auto crc = static_cast<uint32_t>(::crc32(0L, Z_NULL, 0));
  for (uint64_t left = header.length; left > 0;) {
    auto part = std::span(buf).first(static_cast<size_t>(std::min<uint64_t>(left, buf.size())));
    HS_TRY(ReadExact(part, nullptr));
    crc = static_cast<uint32_t>(::crc32(crc, part.data(), static_cast<uInt>(part.size())));
    HS_TRY(core::WriteAll(spool.fd.get(), part));
    left -= part.size();
  }
  if (crc != header.checksum) {
    return Corrupt("has a checksum mismatch in '" + header.path + "' before offset " +
                   std::to_string(spool.size + header.length));
  }
  spool.size += header.length;
  return core::Status::Ok();
}

core::Result<bool> MbstreamReader::ServeEndedSpool() {
  auto ended = std::find_if(spools_.begin(), spools_.end(),
                            [](const auto& entry) { return entry.second.ended; });
  if (ended == spools_.end()) {
    return false;
  }
  path_ = ended->first;
  served_ = std::move(ended->second);
  spools_.erase(ended);
  if (::lseek(served_->fd.get(), 0, SEEK_SET) != 0) {
    return core::ErrnoStatus("rewind the spool of '" + path_ + "'", errno);
  }
  file_offset_ = 0;
  in_file_ = false;
  return true;
}

core::Result<size_t> MbstreamReader::ReadServed(std::span<uint8_t> buf) {
  size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), served_->size - file_offset_));
  if (want == 0) {
    return size_t{0};
  }
  HS_ASSIGN_OR_RETURN(size_t n, core::ReadSome(served_->fd.get(), buf.first(want)));
  if (n == 0) {
    return core::Status(core::ErrorCode::kStorage,
                        "the spool of '" + path_ + "' is shorter than what was written to it",
                        "the backup was not saved; check the space and health of TMPDIR");
  }
  file_offset_ += n;
  return n;
}

core::Result<std::optional<std::string>> MbstreamReader::Next() {
  std::vector<uint8_t> skip(kSkipBuffer);
  while (in_file_) {
    HS_ASSIGN_OR_RETURN(size_t n, ReadContent(skip));
    if (n == 0) {
      break;
    }
  }
  served_.reset();
  for (;;) {
    HS_ASSIGN_OR_RETURN(bool served, ServeEndedSpool());
    if (served) {
      return std::optional<std::string>(path_);
    }
    HS_ASSIGN_OR_RETURN(auto header, ReadHeader());
    if (!header) {
      if (!spools_.empty()) {
        return CutShort("'" + spools_.begin()->first + "'");
      }
      return std::optional<std::string>();
    }
    if (spools_.count(header->path) || CopiedAlongside(header->path)) {
      HS_TRY(SpoolChunk(*header));
      continue;
    }
    if (!seen_.insert(header->path).second) {
      return Corrupt("sends '" + header->path + "' again after its end");
    }
    path_ = header->path;
    file_offset_ = 0;
    if (header->type == kEndOfFile) {
      in_file_ = false;  // an empty file
      return std::optional<std::string>(path_);
    }
    if (header->offset != 0) {
      return Corrupt("starts '" + path_ + "' at offset " + std::to_string(header->offset));
    }
    in_file_ = true;
    remaining_ = header->length;
    expected_crc_ = header->checksum;
    crc_ = static_cast<uint32_t>(::crc32(0L, Z_NULL, 0));
    return std::optional<std::string>(path_);
  }
}

core::Result<size_t> MbstreamReader::ReadContent(std::span<uint8_t> buf) {
  if (served_) {
    return ReadServed(buf);
  }
  while (in_file_ && remaining_ == 0) {
    HS_ASSIGN_OR_RETURN(auto header, ReadHeader());
    if (!header) {
      return CutShort("'" + path_ + "'");
    }
    if (header->path != path_) {
      HS_TRY(SpoolChunk(*header));  // another file's chunk in the middle of this one
      continue;
    }
    if (header->type == kEndOfFile) {
      in_file_ = false;
      return size_t{0};
    }
    if (header->offset != file_offset_) {
      return Corrupt("sends '" + path_ + "' at offset " + std::to_string(header->offset) +
                     " after " + std::to_string(file_offset_) + " bytes");
    }
    remaining_ = header->length;
    expected_crc_ = header->checksum;
    crc_ = static_cast<uint32_t>(::crc32(0L, Z_NULL, 0));
  }
  if (!in_file_ || buf.empty()) {
    return size_t{0};
  }
  size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), remaining_));
  HS_ASSIGN_OR_RETURN(size_t n, source_.Read(buf.first(want)));
  if (n == 0) {
    return CutShort("'" + path_ + "'");
  }
  bytes_read_ += n;
  remaining_ -= n;
  file_offset_ += n;
  crc_ = static_cast<uint32_t>(::crc32(crc_, buf.data(), static_cast<uInt>(n)));
  if (remaining_ == 0) {
    HS_TRY(FinishPayload());
  }
  return n;
}

}  // namespace hasteward::engine::mariadb
