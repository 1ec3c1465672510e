// The steps switchover and failover share once the candidate may become the primary: promote it,
// repoint the standbys, prove it takes writes.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/instance_handles.h"
#include "platform/platform.h"

namespace hasteward::engine::postgres {

// pg_promote(wait => true) on `candidate`, then checks it left recovery. Returns a detail line.
// kTimeout when it is still in recovery after `timeout` (its promotion may still complete:
// callers must not undo a fence on that).
core::Result<std::string> Promote(const platform::InstanceHandle& candidate,
                                  std::chrono::milliseconds timeout);

// Points every standby of `standbys` (running, in recovery) at `primary` and waits, within
// `timeout` overall, until each streams from it. Tries them all; the error names each that failed.
core::Result<std::string> RepointStandbys(InstanceHandles& handles,
                                          const std::vector<platform::Instance>& standbys,
                                          const platform::Instance& primary,
                                          std::chrono::milliseconds timeout);

// Commits a write on `primary` (a temporary table, dropped at commit, so no user schema is
// touched); kSafetyStop naming it when the write is refused.
core::Result<std::string> ProveWritable(const platform::InstanceHandle& primary);

}  // namespace hasteward::engine::postgres
