// engine/postgres/wal_interval: the pages the WAL of an interval may have changed (an incremental
// backup's [parent's start, this backup's start)), read from segments that one of several
// sources holds (the WAL archive, the instance's own pg_wal), with the reason when it cannot be
// told (then the backup reads every page). Only the WAL the interval needs is read: from the
// first segment's page of the interval's start, nothing after a switch record in its segment,
// nothing past the interval's end.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/fd.h"
#include "core/status.h"
#include "engine/native_backup.h"
#include "engine/postgres/wal_block_refs.h"
#include "engine/postgres/wal_names.h"

namespace hasteward::engine::postgres {

// One segment file, read by ranges.
class WalSegmentReader {
 public:
  virtual ~WalSegmentReader() = default;
  // `length` bytes from `offset` (fewer only at the segment's end). Errors: the read failed.
  virtual core::Result<std::string> Read(uint64_t offset, size_t length) = 0;
};

// Where a backup reads WAL segments from.
class RangedWalSource {
 public:
  virtual ~RangedWalSource() = default;
  virtual std::string Name() const = 0;  // for messages
  // The whole segment `file_name`; null when this source does not hold it whole. Errors: the
  // source failed.
  virtual core::Result<std::unique_ptr<WalSegmentReader>> Open(const std::string& file_name) = 0;
};

// The instance's own WAL directory: a segment it still holds, read in place by ranges.
class LocalWalSource : public RangedWalSource {
 public:
  explicit LocalWalSource(std::string pg_wal_dir) : dir_(std::move(pg_wal_dir)) {}
  std::string Name() const override { return dir_; }
  core::Result<std::unique_ptr<WalSegmentReader>> Open(const std::string& file_name) override;

 private:
  std::string dir_;
};

// A source that gives segments only whole (the WAL archive: a segment is one stored file, read
// from the repository at once); its ranges are cut from that copy.
class WholeSegmentSource : public RangedWalSource {
 public:
  explicit WholeSegmentSource(WalSegmentSource& source) : source_(source) {}
  std::string Name() const override { return source_.Name(); }
  core::Result<std::unique_ptr<WalSegmentReader>> Open(const std::string& file_name) override;

 private:
  WalSegmentSource& source_;
};

// Why an incremental backup reads everything (tag reason=...).
enum class FullReadReason {
  kNone,               // the changed pages are known
  kNoParent,           // no earlier native snapshot of this cluster with the same block size
  kRequested,          // --full
  kFullEvery,          // --full-every N: the Nth backup in a row reads everything
  kOtherSystem,        // the parent is of another system identifier
  kTimelineChanged,    // the parent is on another timeline
  kParentAhead,        // the parent starts after this backup's start
  kWalMissing,         // a segment of the interval is in no source
  kWalUnreadable,      // a source failed or the WAL reader refused a record
  kNoFullPageWrites,   // full_page_writes is off: pages changed during the backup are not repaired
  kChecksumsChanged,   // data checksums were turned on or off since the parent (or it never said)
  kParentNotAncestor,  // the live WAL at the parent's interval differs: another history
  kParentUnproven,     // the parent's interval WAL is in no source to compare with
};
const char* FullReadReasonName(FullReadReason reason);

struct IntervalPages {
  std::unique_ptr<WalBlockReferenceReader> reader;  // set when reason == kNone
  FullReadReason reason = FullReadReason::kNone;
  std::string detail;           // for the log
  uint64_t wal_bytes_read = 0;  // of the segments' files (a whole-segment source's count whole)
};

// Reads the block references of [from_lsn, to_lsn) on `timeline` (16 MiB segments), each
// segment from the first source that holds it. Never an error: what fails becomes the reason to
// read everything.
IntervalPages ReadIntervalPages(uint64_t from_lsn, uint64_t to_lsn, uint32_t timeline,
                                const std::vector<RangedWalSource*>& sources);

// The first of `sources` holding the segment; null (with `why`) when none does or one fails.
std::unique_ptr<WalSegmentReader> OpenSegmentFrom(const std::vector<RangedWalSource*>& sources,
                                                  const std::string& name, std::string& why);

}  // namespace hasteward::engine::postgres
