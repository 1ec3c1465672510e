#include "engine/postgres/parent_ancestry.h"

#include <algorithm>

#include "engine/postgres/triage_timeline.h"
#include "engine/postgres/wal_names.h"

namespace hasteward::engine::postgres {

namespace {

AncestryVerdict Unproven(std::string detail) {
  return {FullReadReason::kParentUnproven, std::move(detail)};
}

}  // namespace

// Why the archive may stand in for a segment pg_wal no longer holds: with archive_mode on,
// PostgreSQL recycles a segment only once archive_command succeeded for it, and wal-push accepts
// a name only with the bytes it already holds or as a new file. So a segment the live server no
// longer holds was archived with the live server's bytes; had the archive held another history's
// bytes under that name, the push would have been refused and the segment would still be in
// pg_wal, where it is read first.
AncestryVerdict ProveParentAncestry(const ParentInterval& parent,
                                    const std::vector<RangedWalSource*>& live,
                                    const ParentFileReader& parent_file) {
  if (parent.timeline == 0 || parent.stop_lsn <= parent.start_lsn) {
    return Unproven("the parent records no WAL interval (timeline " +
                    std::to_string(parent.timeline) + ", " + FormatLsn(parent.start_lsn) + " to " +
                    FormatLsn(parent.stop_lsn) + ")");
  }
  const uint64_t first = parent.start_lsn / kWalSegmentBytes;
  const uint64_t last = (parent.stop_lsn - 1) / kWalSegmentBytes;
  uint64_t compared = 0;
  for (uint64_t segment = first; segment <= last; ++segment) {
    const std::string name = WalSegmentFileName(parent.timeline, segment);
    const uint64_t segment_start = segment * kWalSegmentBytes;
    const uint64_t from = std::max(parent.start_lsn, segment_start) - segment_start;
    const uint64_t to = std::min(parent.stop_lsn, segment_start + kWalSegmentBytes) - segment_start;
    auto stored = parent_file("pg_wal/" + name);
    if (!stored.ok()) {
      return Unproven("the parent's copy of " + name +
                      " cannot be read: " + stored.status().message());
    }
    if (!*stored || (*stored)->size() < to) {
      return Unproven("the parent's tree holds no whole copy of " + name);
    }
    std::string why;
    std::unique_ptr<WalSegmentReader> file = OpenSegmentFrom(live, name, why);
    if (!file) {
      // The interval's own WAL: the same reasons ReadIntervalPages would give.
      return {why.rfind("reading", 0) == 0 ? FullReadReason::kWalUnreadable
                                           : FullReadReason::kWalMissing,
              why};
    }
    auto bytes = file->Read(from, static_cast<size_t>(to - from));
    if (!bytes.ok()) {
      return {FullReadReason::kWalUnreadable,
              "the live " + name + " cannot be read: " + bytes.status().message()};
    }
    if (bytes->size() != to - from) {
      return Unproven("the live " + name + " is short");
    }
    if ((*stored)->compare(from, to - from, *bytes) != 0) {
      return {FullReadReason::kParentNotAncestor,
              "the live WAL differs from the parent's in " + name + " between " +
                  FormatLsn(segment_start + from) + " and " + FormatLsn(segment_start + to) +
                  ": the parent is of another history (a restore or a reused timeline)"};
    }
    compared += to - from;
  }
  return {FullReadReason::kNone, "the parent's " + std::to_string(compared) +
                                     " bytes of WAL from " + FormatLsn(parent.start_lsn) +
                                     " match the live server's"};
}

}  // namespace hasteward::engine::postgres
