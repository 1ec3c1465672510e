#pragma once

#include <string>
#include <vector>

#include "cli/cli.h"
#include "repo/snapshot/snapshot.h"

namespace hasteward::cli {

// Selects snapshots by HASteward's tags (engine, cluster, namespace, type) and, for diverged
// captures, by the instance ordinal prefixed to the file name ("<ns>/<cluster>/<N>-...").
struct SnapshotFilter {
  std::string engine;
  std::string cluster;
  std::string ns;
  std::string type;   // "" or "all" = any
  int instance = -1;  // -1 = any

  static SnapshotFilter FromGlobals(const GlobalOptions& g);
  bool Matches(const repo::Snapshot& s) const;
  std::vector<repo::Snapshot> Apply(const std::vector<repo::Snapshot>& snaps) const;
};

}  // namespace hasteward::cli
