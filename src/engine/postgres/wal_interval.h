// engine/postgres/wal_interval: the pages the WAL of an interval may have changed (an incremental
// backup's [parent's start, this backup's start)), read from whole segments that one of several
// sources holds (the WAL archive, the instance's own pg_wal), with the reason when it cannot be
// told (then the backup reads every page).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/native_backup.h"
#include "engine/postgres/wal_block_refs.h"

namespace hasteward::engine::postgres {

// The instance's own WAL directory as a segment source (a segment it still holds, whole).
class LocalWalSource : public WalSegmentSource {
 public:
  explicit LocalWalSource(std::string pg_wal_dir) : dir_(std::move(pg_wal_dir)) {}
  std::string Name() const override { return dir_; }
  core::Result<std::optional<std::string>> ReadSegment(const std::string& file_name) override;

 private:
  std::string dir_;
};

// Why an incremental backup reads everything (tag reason=...).
enum class FullReadReason {
  kNone,              // the changed pages are known
  kNoParent,          // no earlier native snapshot of this cluster with the same block size
  kRequested,         // --full
  kFullEvery,         // --full-every N: the Nth backup in a row reads everything
  kOtherSystem,       // the parent is of another system identifier
  kTimelineChanged,   // the parent is on another timeline
  kParentAhead,       // the parent starts after this backup's start
  kWalMissing,        // a segment of the interval is in no source
  kWalUnreadable,     // a source failed or the WAL reader refused a record
  kNoFullPageWrites,  // full_page_writes is off: pages changed during the backup are not repaired
};
const char* FullReadReasonName(FullReadReason reason);

struct IntervalPages {
  std::unique_ptr<WalBlockReferenceReader> reader;  // set when reason == kNone
  FullReadReason reason = FullReadReason::kNone;
  std::string detail;  // for the log
};

// Reads the block references of [from_lsn, to_lsn) on `timeline`, each segment from the first
// source that holds it. Never an error: what fails becomes the reason to read everything.
IntervalPages ReadIntervalPages(uint64_t from_lsn, uint64_t to_lsn, uint32_t timeline,
                                const std::vector<WalSegmentSource*>& sources);

// The first of `sources` holding the segment; nullopt (with `why`) when none does or one fails.
std::optional<std::string> ReadSegmentFrom(const std::vector<WalSegmentSource*>& sources,
                                           const std::string& name, std::string& why);

}  // namespace hasteward::engine::postgres
