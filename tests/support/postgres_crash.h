// Crashing a PostgreSQL instance the way a lost machine does: SIGKILL to the postmaster and to
// every process it started, at once (killing the postmaster alone leaves backends that still
// commit and walsenders that still send).
#pragma once

#include "core/status.h"
#include "platform/cluster.h"

namespace hasteward::testing {

// Kills `instance`'s server (pid from <data_dir>/postmaster.pid) and its children, and waits until
// they are gone. kNotFound when it is not running.
core::Status KillPostgresHard(const platform::Instance& instance);

}  // namespace hasteward::testing
