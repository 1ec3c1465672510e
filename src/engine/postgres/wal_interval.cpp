#include "engine/postgres/wal_interval.h"

#include <algorithm>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/pread_full.h"
#include "engine/postgres/triage_timeline.h"

namespace hasteward::engine::postgres {

namespace {

// How much of a segment is read at once: small enough that the unused rest of a switched segment
// and what lies past the interval are mostly left unread, large enough to be few reads.
constexpr size_t kPartBytes = size_t{1} << 20;

class FileSegment : public WalSegmentReader {
 public:
  FileSegment(core::UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

  core::Result<std::string> Read(uint64_t offset, size_t length) override {
    std::string out(length, '\0');
    HS_ASSIGN_OR_RETURN(size_t got,
                        core::PreadFull(fd_.get(), {reinterpret_cast<uint8_t*>(out.data()), length},
                                        offset, "read '" + path_ + "'"));
    out.resize(got);
    return out;
  }

 private:
  core::UniqueFd fd_;
  std::string path_;
};

class MemorySegment : public WalSegmentReader {
 public:
  explicit MemorySegment(std::string bytes) : bytes_(std::move(bytes)) {}

  core::Result<std::string> Read(uint64_t offset, size_t length) override {
    if (offset >= bytes_.size())
      return std::string();
    return bytes_.substr(offset, length);
  }

 private:
  std::string bytes_;
};

// Feeds one segment to the reader a part at a time, from its first page on to where the reader
// wants no more of it; counts the bytes read.
core::Status FeedSegment(WalBlockReferenceReader& reader, WalSegmentReader& file,
                         uint64_t segment_start, uint64_t to_lsn, uint64_t& bytes_read) {
  // The first page alone: its long header is checked, and the first segment of an interval is
  // then read from the interval's start on.
  HS_ASSIGN_OR_RETURN(std::string first, file.Read(0, kWalPageBytes));
  bytes_read += first.size();
  HS_TRY(reader.AddSegmentPart(segment_start, 0, first));
  uint64_t fed = segment_start + first.size();
  const uint64_t segment_end = segment_start + kWalSegmentBytes;
  while (!reader.Covered()) {
    const uint64_t wanted = std::max(reader.NextWantedLsn(), fed);
    if (wanted >= segment_end)
      break;
    // Up to the interval's end (a record that runs past it asks for the next part), a page at
    // least.
    const uint64_t to_end = to_lsn > wanted ? to_lsn - wanted : 0;
    const uint64_t pages = std::max<uint64_t>(1, (to_end + kWalPageBytes - 1) / kWalPageBytes);
    const size_t length = static_cast<size_t>(
        std::min<uint64_t>({kPartBytes, pages * kWalPageBytes, segment_end - wanted}));
    HS_ASSIGN_OR_RETURN(std::string part, file.Read(wanted - segment_start, length));
    bytes_read += part.size();
    HS_TRY(reader.AddSegmentPart(segment_start, wanted - segment_start, part));
    if (part.size() < length)
      break;  // the file ended early: the reader knows it stopped short
    fed = wanted + part.size();
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<std::unique_ptr<WalSegmentReader>> LocalWalSource::Open(const std::string& file_name) {
  const std::string path = dir_ + "/" + file_name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    // Recycled or never there: another source may hold it.
    return std::unique_ptr<WalSegmentReader>();
  }
  core::UniqueFd owned(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != kWalSegmentBytes) {
    return std::unique_ptr<WalSegmentReader>();  // a partial file (.partial, being created)
  }
  return std::unique_ptr<WalSegmentReader>(std::make_unique<FileSegment>(std::move(owned), path));
}

core::Result<std::unique_ptr<WalSegmentReader>> WholeSegmentSource::Open(
    const std::string& file_name) {
  HS_ASSIGN_OR_RETURN(std::optional<std::string> bytes, source_.ReadSegment(file_name));
  if (!bytes || bytes->size() != kWalSegmentBytes)
    return std::unique_ptr<WalSegmentReader>();
  return std::unique_ptr<WalSegmentReader>(std::make_unique<MemorySegment>(std::move(*bytes)));
}

const char* FullReadReasonName(FullReadReason reason) {
  switch (reason) {
    case FullReadReason::kNone: return "none";
    case FullReadReason::kNoParent: return "no-parent";
    case FullReadReason::kRequested: return "requested";
    case FullReadReason::kFullEvery: return "full-every";
    case FullReadReason::kOtherSystem: return "other-system";
    case FullReadReason::kTimelineChanged: return "timeline-changed";
    case FullReadReason::kParentAhead: return "parent-ahead";
    case FullReadReason::kWalMissing: return "wal-missing";
    case FullReadReason::kWalUnreadable: return "wal-unreadable";
    case FullReadReason::kNoFullPageWrites: return "full-page-writes-off";
    case FullReadReason::kChecksumsChanged: return "checksums-changed";
    case FullReadReason::kParentNotAncestor: return "parent-not-ancestor";
    case FullReadReason::kParentUnproven: return "parent-unproven";
  }
  return "unknown";
}

std::unique_ptr<WalSegmentReader> OpenSegmentFrom(const std::vector<RangedWalSource*>& sources,
                                                  const std::string& name, std::string& why) {
  why = "segment " + name + " is in none of:";
  for (RangedWalSource* source : sources) {
    if (source == nullptr) {
      continue;
    }
    auto file = source->Open(name);
    if (!file.ok()) {
      why = "reading " + name + " from " + source->Name() + " failed: " + file.status().message();
      return nullptr;
    }
    if (*file) {
      return std::move(*file);
    }
    why += " " + source->Name();
  }
  return nullptr;
}

IntervalPages ReadIntervalPages(uint64_t from_lsn, uint64_t to_lsn, uint32_t timeline,
                                const std::vector<RangedWalSource*>& sources) {
  IntervalPages out;
  out.reader = std::make_unique<WalBlockReferenceReader>(from_lsn, to_lsn);
  auto fail = [&out](FullReadReason reason, std::string detail) {
    out.reader.reset();
    out.reason = reason;
    out.detail = std::move(detail);
    return std::move(out);
  };
  if (to_lsn <= from_lsn) {
    return out;
  }
  for (uint64_t segment = from_lsn / kWalSegmentBytes;
       segment <= (to_lsn - 1) / kWalSegmentBytes && !out.reader->Covered(); ++segment) {
    std::string name = WalSegmentFileName(timeline, segment);
    std::string why;
    std::unique_ptr<WalSegmentReader> file = OpenSegmentFrom(sources, name, why);
    if (!file) {
      return fail(why.rfind("reading", 0) == 0 ? FullReadReason::kWalUnreadable
                                               : FullReadReason::kWalMissing,
                  why);
    }
    core::Status fed =
        FeedSegment(*out.reader, *file, segment * kWalSegmentBytes, to_lsn, out.wal_bytes_read);
    if (!fed.ok()) {
      return fail(FullReadReason::kWalUnreadable, "the WAL of " + name + ": " + fed.message());
    }
  }
  if (!out.reader->Covered()) {
    return fail(FullReadReason::kWalUnreadable,
                "the WAL up to " + FormatLsn(to_lsn) + " was not read whole");
  }
  return out;
}

}  // namespace hasteward::engine::postgres
