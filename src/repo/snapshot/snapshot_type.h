// The kinds of snapshot HASteward writes, stored as the `type=` tag. Tags stay plain strings in the
// repository (restic's format, and users filter with `restic snapshots --tag type=backup`); inside
// the program the type is this enum, so a misspelt type is a compile error, not an empty listing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "repo/snapshot/snapshot.h"

namespace hasteward::repo {

enum class SnapshotType {
  kBackup,        // a cluster's backup (also a repair's escrow copy of the donor)
  kDiverged,      // a repair's capture of a diverged instance; one `job=` tag per repair
  kVerification,  // the report of a restore verification of a backup (verify/report.h)
  kWal,  // pieces of the continuous WAL archive (pitr/wal/wal_archive.h), many per snapshot
};

// "backup", "diverged", "verification": the tag value.
std::string_view SnapshotTypeName(SnapshotType type);

// The tag value parsed; nullopt for a value HASteward does not write.
std::optional<SnapshotType> ParseSnapshotType(std::string_view text);

// The type a listed snapshot has. A snapshot without a type tag (`backup --stdin`, or one written
// by restic) counts as a backup; nullopt for an unknown type value.
std::optional<SnapshotType> TypeOf(const Snapshot& snapshot);

// "type=<name>", the tag a snapshot of this type carries.
std::string TypeTag(SnapshotType type);

// Which snapshot types a command looks at: one type, or any (nullopt).
using SnapshotTypeSelector = std::optional<SnapshotType>;

// -t/--type: a type name or "all" (any). kUsage naming the valid values otherwise.
core::Result<SnapshotTypeSelector> ParseTypeSelector(std::string_view text);

// True when `snapshot` is of the selected type (any type when the selector is empty).
bool MatchesType(const Snapshot& snapshot, const SnapshotTypeSelector& selector);

}  // namespace hasteward::repo
