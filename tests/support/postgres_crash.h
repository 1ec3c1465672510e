// Crashing a PostgreSQL instance the way a lost machine does: SIGKILL to the postmaster and to
// every process it started, at once (killing the postmaster alone leaves backends that still
// commit and walsenders that still send).
#pragma once

#include <string>

#include <sys/types.h>

#include "core/status.h"
#include "platform/cluster.h"

namespace hasteward::testing {

// Kills `instance`'s server (pid from <data_dir>/postmaster.pid) and its children, and waits until
// they are gone. kNotFound when it is not running.
core::Status KillPostgresHard(const platform::Instance& instance);

// SIGKILL to one server process (a mariadbd), then waits until it is gone from the process table
// (reaped), so a restart right after never meets the dead server's pid or file locks.
core::Status KillServerHard(pid_t pid, const std::string& what);

}  // namespace hasteward::testing
