#pragma once

#include <optional>
#include <string>

#include "engine/galera/triage_recover.h"
#include "engine/repair.h"

namespace hasteward::engine::galera {

// Heals one node of a running cluster: stop it, move grastate.dat and galera.cache to where its
// platform keeps copies (InstanceHandle::KeptCopiesOf: <dataDir>.hasteward-kept-<stamp>/ on a
// host, <dataDir>/hasteward-kept-<stamp>-<file> on kubernetes), so it rejoins by state transfer,
// start it with its recorded (join) command and wait until it is Synced. With
// options.keep_replaced or options.only_copy_of_diverged_writes the whole data directory is moved
// aside instead (MoveDataDirectoryAside; a platform where it cannot be moved fails the heal before
// anything is replaced). Commands run while it is stopped, and its start, wait at most
// options.heal_timeout.
core::Status HealNode(platform::Platform& platform, const platform::Cluster& cluster,
                      const platform::Instance& target, const HealOptions& options);

// Whole-cluster-down recovery from `node` (the planner chose it: the highest committed position
// of nodes that all share one cluster UUID): stop any node still running, keep a copy of its
// grastate.dat and galera.cache (kept where HealNode keeps them, copied), write its recovered
// position with safe_to_bootstrap: 1 (on this node only), start it through
// Platform::BootstrapInstance (--wsrep-new-cluster added to its start command, or to the platform
// default) and wait until it is Synced as a Primary component of one. When the start or the wait
// fails, the node is stopped again and safe_to_bootstrap is set back to 0.
core::Status BootstrapNode(platform::Platform& platform, const platform::Cluster& cluster,
                           const platform::Instance& node, const GaleraPosition& position,
                           const HealOptions& options);

// A restore's bootstrap of `node` (stopped, its data directory the restored one): as BootstrapNode,
// but from an undefined saved state (grastate.dat uuid all zeros, seqno -1), so Galera starts a
// new history under a cluster state UUID of its own instead of continuing the backup's. Returns
// the new cluster state UUID.
core::Result<std::string> BootstrapNewHistory(platform::Platform& platform,
                                              const platform::Cluster& cluster,
                                              const platform::Instance& node,
                                              const HealOptions& options);

// Moves the stopped node's data directory to `kept` (`kept.N` when that exists) and leaves an empty
// one in its place, so the node joins by a full state transfer. Returns where it was kept, nullopt
// when there was no data directory.
core::Result<std::optional<std::string>> MoveDataDirectoryAside(platform::Platform& platform,
                                                                const platform::Cluster& cluster,
                                                                const platform::Instance& node,
                                                                const std::string& kept,
                                                                const HealOptions& options);

// Starts a stopped node with its recorded join command and waits until it is Synced.
core::Status RejoinNode(platform::Platform& platform, const platform::Cluster& cluster,
                        const platform::Instance& node, const HealOptions& options);

}  // namespace hasteward::engine::galera
