// The shared steps of the kill -9 mid-backup tests (issue 33): a native backup is started, caught
// while it writes (a pack of its new data is in the repository, polled), frozen to show it had not
// finished, and killed with its process group; afterwards the repository holds no new snapshot,
// its lock file is judged stale by `repo unlock`, and `repo check` and stock `restic check` pass.
//
//   ASSERT_TRUE(KillNativeBackupMidway(shop, hs.Path("killed.err")));
//   ExpectNoNewSnapshotAndACheckableRepository(shop, 1);
#pragma once

#include <cstddef>
#include <string>

#include "support/cluster_env.h"

namespace hasteward::testing {

// How many files of the repository's `kind` directory (data, snapshots, locks) exist under their
// final name (a file being written is a temporary, core/atomic_file, and is not counted).
size_t RepositoryFiles(const HastewardEnv& env, const std::string& kind);

// Starts `backup --method native` on `shop` (ClusterEnv::Spawn), polls until a pack beyond the
// ones already in the repository is saved, stops the process group (SIGSTOP), checks it is still
// running, holds its lock and has saved no snapshot, then kills it (SIGKILL). False (with test
// failures saying why) when the backup could not be caught before it ended: the data it adds must
// take several packs, so that the poll sees the first long before the last.
bool KillNativeBackupMidway(const ClusterEnv& shop, const std::string& err_file);

// After the kill: still `snapshots` snapshots (restic and `get backups`), the killed run's packs
// and lock file are there, stock restic refuses the locked repository, `repo unlock` removes one
// stale lock, and `repo check` and `restic check` pass. Non-fatal test failures.
void ExpectNoNewSnapshotAndACheckableRepository(const ClusterEnv& shop, size_t snapshots);

}  // namespace hasteward::testing
