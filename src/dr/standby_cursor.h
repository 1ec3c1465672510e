// dr/standby_cursor: the standby's side of the retention floor cursor (repo/cursor/
// standby_cursor.h holds the format; the source's prune reads it). After each discovery the
// standby writes, into the source's repository, the oldest backup it still needs and the archive
// position replay onto it starts from, with a TTL: the source's prune keeps both while the cursor
// is live, and an abandoned standby stops holding the source's storage once its TTL passes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "catalog/wal_names.h"
#include "core/status.h"
#include "dr/discovery.h"
#include "dr/standby_spec.h"
#include "repo/cursor/standby_cursor.h"
#include "repo/repository.h"

namespace hasteward::dr {

// What the standby needs, as a cursor stamped `now_unix`: with `activation.pointInTime`, the newest
// native backup that ended by that time (the archive from its start on stays with it, which
// covers the point); otherwise, or when no native backup ended by then, the newest verified
// backup (activation restores a verified backup unless told otherwise), else the newest backup; its
// start position from its tags (a native PostgreSQL base's start segment, a native MariaDB base's
// GTID position; none for a dump), read from the catalogue's record. nullopt without a backup
// (nothing to pin). `wal_names` names WAL segments (the empty naming: an engine without WAL).
std::optional<repo::StandbyCursor> NeededCursor(const StandbySpec& spec, const Discovery& discovery,
                                                const std::vector<repo::Snapshot>& snapshots,
                                                const catalog::WalNames& wal_names,
                                                int64_t now_unix);

// What became of the cursor in one `standby status`.
struct CursorOutcome {
  bool written = false;
  std::optional<repo::StandbyCursor> cursor;  // what was (or would have been) written
  core::Status error;                         // the write failed (the source is not held back)
  std::string skipped;  // why nothing was written: "cursor.write is false", "no backup yet"

  // {"object","written","skipped"?,"error"?,"backup"?,"archive"?:{kind,position},"writtenAt"?,
  //  "expires"?}
  nlohmann::json ToJson(const std::string& standby) const;
  std::string ToText(const std::string& standby) const;
};

// Writes NeededCursor to the source repository unless the declaration says not to.
CursorOutcome RefreshCursor(repo::Repository& repository, const StandbySpec& spec,
                            const Discovery& discovery,
                            const std::vector<repo::Snapshot>& snapshots,
                            const catalog::WalNames& wal_names, int64_t now_unix);

}  // namespace hasteward::dr
