#include "engine/postgres/wal_interval.h"

#include <cerrno>

#include "core/fd.h"
#include "engine/postgres/triage_timeline.h"
#include "engine/postgres/wal_names.h"

namespace hasteward::engine::postgres {

core::Result<std::optional<std::string>> LocalWalSource::ReadSegment(const std::string& file_name) {
  auto bytes = core::ReadFileToString(dir_ + "/" + file_name);
  if (!bytes.ok()) {
    // Recycled or never there: another source may hold it.
    return std::optional<std::string>();
  }
  if (bytes->size() != kWalSegmentBytes) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::move(*bytes));
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
  }
  return "unknown";
}

std::optional<std::string> ReadSegmentFrom(const std::vector<WalSegmentSource*>& sources,
                                           const std::string& name, std::string& why) {
  why = "segment " + name + " is in none of:";
  for (WalSegmentSource* source : sources) {
    if (source == nullptr) {
      continue;
    }
    auto bytes = source->ReadSegment(name);
    if (!bytes.ok()) {
      why = "reading " + name + " from " + source->Name() + " failed: " + bytes.status().message();
      return std::nullopt;
    }
    if (*bytes) {
      return std::move(**bytes);
    }
    why += " " + source->Name();
  }
  return std::nullopt;
}

IntervalPages ReadIntervalPages(uint64_t from_lsn, uint64_t to_lsn, uint32_t timeline,
                                const std::vector<WalSegmentSource*>& sources) {
  IntervalPages out;
  out.reader = std::make_unique<WalBlockReferenceReader>(from_lsn, to_lsn);
  if (to_lsn > from_lsn) {
    for (uint64_t segment = from_lsn / kWalSegmentBytes; segment <= (to_lsn - 1) / kWalSegmentBytes;
         ++segment) {
      std::string name = WalSegmentFileName(timeline, segment);
      std::string why;
      std::optional<std::string> bytes = ReadSegmentFrom(sources, name, why);
      if (!bytes) {
        out.reader.reset();
        out.reason = why.rfind("reading", 0) == 0 ? FullReadReason::kWalUnreadable
                                                  : FullReadReason::kWalMissing;
        out.detail = why;
        return out;
      }
      core::Status added = out.reader->AddSegment(segment * kWalSegmentBytes, *bytes);
      if (!added.ok()) {
        out.reader.reset();
        out.reason = FullReadReason::kWalUnreadable;
        out.detail = "the WAL of " + name + ": " + added.message();
        return out;
      }
    }
  }
  if (to_lsn > from_lsn && !out.reader->Covered()) {
    out.reader.reset();
    out.reason = FullReadReason::kWalUnreadable;
    out.detail = "the WAL up to " + FormatLsn(to_lsn) + " was not read whole";
  }
  return out;
}

}  // namespace hasteward::engine::postgres
