// catalog/wal_names: the WAL archive's file names and segments as the catalogue's judgements
// read them, for any engine. Made once from the engine's optional Archiving capability: an engine
// without a WAL archive gets the empty naming, whose every answer is "no segment", so callers
// (discovery, the standby cursor, the demotion marker's judgement) never test for the capability.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "catalog/positions.h"
#include "engine/archiving.h"

namespace hasteward::catalog {

// A whole WAL segment on a timeline.
struct WalSegment {
  uint32_t timeline = 0;
  uint64_t segment = 0;
  std::string name;  // the segment's file name
};

class WalNames {
 public:
  // The naming of `archiving` (not owned, outlives this); nullptr: an engine without a WAL archive,
  // for which every answer is nullopt. Implicit, so a capability pointer converts where a naming is
  // asked for.
  WalNames(const engine::Archiving* archiving)  // NOLINT(google-explicit-constructor): see above
      : archiving_(archiving) {}

  // The segment holding `position` (a base's start, where its replay begins).
  std::optional<WalSegment> SegmentHolding(const WalPosition& position) const;
  // The segment holding the last byte before `position` (a base's stop: a stop exactly on a
  // segment boundary belongs to the segment before it, which may be the last ever written).
  // nullopt for position 0.
  std::optional<WalSegment> SegmentEndingAt(const WalPosition& position) const;
  // A whole or partial segment's file name parsed; nullopt for any other file (a history file
  // has no position, a backup label names the segment its backup started in).
  std::optional<WalSegment> ParseSegmentFile(const std::string& name) const;
  // -1, 0, 1 as segment file `a` is before, at or after `b` (timeline first, then segment);
  // nullopt when either is not a segment name.
  std::optional<int> CompareSegmentFiles(const std::string& a, const std::string& b) const;

 private:
  std::optional<WalSegment> Segment(uint32_t timeline, uint64_t segment) const;

  const engine::Archiving* archiving_;
};

}  // namespace hasteward::catalog
