// What the operators do on the databases when asked for a new primary, for the fakes
// (fake_cnpg_instance_manager.h, fake_mariadb_operator.h), on a sandbox cluster reached as the
// local platform. In the order the real operators keep: the old primary stops taking writes
// first, the target is promoted once it holds everything the old one wrote, then the old primary
// follows the new one.
#pragma once

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::testing {

// How the fakes switch over: as the operators do, or (for the tests of HASteward's proof) wrongly:
// the target promoted while the old primary still takes writes.
enum class FakeSwitchoverMode { kAsTheOperator, kPromoteWithoutDemoting };

// CloudNativePG's switchover: the old primary's PostgreSQL is shut down (a clean shutdown sends
// every WAL record to the standby first), the target is promoted (pg_promote replays what it
// received), and the old primary restarts as a standby of the target (standby.signal,
// primary_conninfo pointing at it; it follows the new timeline).
core::Status SwitchPostgresPrimary(platform::Platform& local, const platform::Cluster& cluster,
                                   int from, int to,
                                   FakeSwitchoverMode mode = FakeSwitchoverMode::kAsTheOperator);

// mariadb-operator's switchover: read_only on the old primary, the target waits for the old
// primary's GTID position, stops replicating and turns read_only off, and the old primary
// replicates from it (CHANGE MASTER ... MASTER_USE_GTID=slave_pos). Like the real one (25.10,
// pkg/controller/replication/switchover.go) it reads the old primary's position once, after
// read_only, and nothing stops an account that bypasses read_only from writing on the old
// primary after that read: such a commit is acknowledged and never reaches the target (the real
// operator's lock is released again before its Service moves). kPromoteWithoutDemoting also
// turns the old primary's read_only off.
core::Status SwitchMariaDbPrimary(const platform::Cluster& cluster, int from, int to,
                                  FakeSwitchoverMode mode = FakeSwitchoverMode::kAsTheOperator);

}  // namespace hasteward::testing
