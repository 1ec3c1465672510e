// verify/orphans: finding and removing what a crashed verification left behind (a running scratch
// server, its run directory). A run directory is an orphan when the process named in its owner
// file is gone (or is another process that reused the pid: the start time differs).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace hasteward::verify {

// Whether the run directory's owner is this process or another live one.
bool RunDirOwnerAlive(const std::string& run_dir);

// Removes every orphaned run directory under `verify_root` (stopping its server and processes)
// and returns the directories removed. A missing root is no error.
core::Result<std::vector<std::string>> CleanupOrphans(const std::string& verify_root);

}  // namespace hasteward::verify
