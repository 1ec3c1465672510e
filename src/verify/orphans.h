// verify/orphans: finding and removing what a crashed verification left behind (a running scratch
// server, its run directory). A run directory is an orphan when the process named in its owner
// file is gone (or is another process that reused the pid: the start time differs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "core/status.h"

namespace hasteward::verify {

// Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); nullopt when gone.
std::optional<uint64_t> ProcessStartTicks(pid_t pid);

// Whether the run directory's owner is this process or another live one.
bool RunDirOwnerAlive(const std::string& run_dir);

// Removes every orphaned run directory under `verify_root` (stopping its server and processes)
// and returns the directories removed. A missing root is no error.
core::Result<std::vector<std::string>> CleanupOrphans(const std::string& verify_root);

}  // namespace hasteward::verify
