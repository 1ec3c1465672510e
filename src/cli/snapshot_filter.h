#pragma once

#include <string>
#include <vector>

#include "cli/cli.h"
#include "repo/snapshot/snapshot.h"
#include "repo/snapshot/snapshot_type.h"

namespace hasteward::cli {

// Selects snapshots by HASteward's tags (engine, cluster, namespace, type) and, for diverged
// captures, by the instance ordinal prefixed to the file name ("<ns>/<cluster>/<N>-...").
struct SnapshotFilter {
  std::string engine;
  std::string cluster;
  std::string ns;
  repo::SnapshotTypeSelector type;  // empty = any; a backup includes snapshots without a type tag
  int instance = -1;                // -1 = any

  static SnapshotFilter FromGlobals(const GlobalOptions& g);
  bool Matches(const repo::Snapshot& s) const;
  std::vector<repo::Snapshot> Apply(const std::vector<repo::Snapshot>& snaps) const;
};

// The snapshot type a command selects from: `type_flag` (-t) when given; diverged when an
// instance (-i N) is named; backup for "latest" (a verification or diverged capture made after
// the last backup is never "latest"); any type for an explicit ID. kUsage for an unknown -t.
core::Result<repo::SnapshotTypeSelector> SnapshotTypeFor(const std::string& snapshot_ref,
                                                         const std::string& type_flag,
                                                         int instance);

}  // namespace hasteward::cli
