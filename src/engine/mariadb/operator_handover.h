// The fence before mariadb-operator's own switchover (engine/switchover.h, OperatorHandover).
//
// mariadb-operator 25.10 switches over in this order (pkg/controller/replication/switchover.go):
// FLUSH TABLES WITH READ LOCK and read_only=ON on the old primary, a wait for the replicas to
// reach its GTID position, the target made primary, then the old primary UNLOCKED and made a
// replica (RESET MASTER, CHANGE MASTER), and only after that the new primary reported in its
// status, which moves the `-primary` Service. From the unlock until the Service moves, a writer
// whose account bypasses read_only (READ ONLY ADMIN: root, or any account granted ALL) commits on
// the old primary after its binary log was reset: acknowledged, and never on the new primary (the
// real-node tier saw it in both of its first runs: docs/kubernetes.md).
//
// So before the operator is asked, the old primary gets HASteward's own proven fence
// (primary_fence.h: READ ONLY ADMIN taken from every account, their sessions killed,
// read_only=ON, a probe write refused and the position still) and the candidate applies exactly
// the final position. One account is left its privilege: the operator's own, which it needs to
// set read_only; its sessions are killed, and a writer on it that reconnects moves the position,
// which the proof (a longer still window than HASteward's own switchover waits) refuses.
// Nothing is persisted: the operator owns the configuration and makes a restarted old primary a
// replica itself. The revokes stay after the switchover (they replicate: no replica, the old
// primary included, takes such writes any more), as after HASteward's own switchover.
#pragma once

#include <memory>
#include <string>

#include "engine/switchover.h"

namespace hasteward::engine::mariadb {

std::unique_ptr<OperatorHandover> MakeOperatorHandover(platform::Platform& platform,
                                                       const platform::Cluster& cluster,
                                                       const SwitchoverPlan& plan,
                                                       const SwitchoverOptions& options,
                                                       const std::string& operator_account);

}  // namespace hasteward::engine::mariadb
