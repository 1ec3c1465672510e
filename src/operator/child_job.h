// operator/child_job: one `hasteward` child process run to completion or killed on abort.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/subprocess.h"

namespace hasteward::op {

struct ChildOutcome {
  core::ExitStatus status;
  std::string out;       // the child's stdout
  std::string err_tail;  // the child's last stderr bytes
  bool aborted = false;  // killed because `abort` became true
};

// Starts argv (stdout to a private temp file, stderr captured), polls for exit and kills the
// child (SIGKILL) as soon as `abort` is set.
core::Result<ChildOutcome> RunChild(const std::vector<std::string>& argv,
                                    const std::atomic<bool>& abort);

}  // namespace hasteward::op
