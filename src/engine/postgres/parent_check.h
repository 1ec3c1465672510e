// engine/postgres/parent_check: whether an incremental backup's parent can lend it pages, from the
// facts both record (the snapshot tags of the parent, the starting backup's own), before any WAL
// is read. What the facts cannot tell — whether the parent lies on the live history — is
// parent_ancestry.h's proof. Pure; unit-tested on hand-built facts.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "engine/postgres/parent_ancestry.h"
#include "engine/postgres/wal_interval.h"

namespace hasteward::engine::postgres {

// kNone when the parent may stand for this backup's pages as far as facts go: the same system
// and timeline, a parent whose whole copy was taken before this backup started (its stop at or
// before `start_lsn`: a page it copied later could hold changes this backup's replay never
// undoes), full-page writes on, and the same data-checksum state (pg_checksums rewrites every
// page without WAL).
FullReadReason ParentMismatch(const std::map<std::string, std::string>& parent,
                              const std::map<std::string, std::string>& facts, uint64_t start_lsn,
                              bool full_page_writes);

// The parent's own WAL interval as its tags record it (zeros where they do not).
ParentInterval IntervalOf(const std::map<std::string, std::string>& parent);

}  // namespace hasteward::engine::postgres
