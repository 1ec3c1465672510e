// A rolling restart of a PostgreSQL cluster after a setting read only at start was written: one
// instance at a time through the platform (stop, start), each serving again (the primary
// accepting connections, a standby streaming from it) before the next goes down, so the cluster
// never loses more than one member.
#pragma once

#include <functional>
#include <string>

#include "core/status.h"
#include "engine/instance_handles.h"
#include "engine/reconfigure.h"
#include "platform/platform.h"

namespace hasteward::engine::postgres {

// Restarts every instance of `plan`: standbys first, then the primary; the primary first when
// plan.primary_restarts_first (a lowered hot-standby limit: a standby must never run with less
// than its primary), the standbys once they replayed the primary's WAL since its start. kTimeout
// naming the instance when one does not serve again within two minutes (the instances after it are
// not restarted). `log` (may be empty) gets one line per step.
core::Status RollingRestart(InstanceHandles& handles, const ReconfigurePlan& plan,
                            const std::function<void(const std::string&)>& log);

}  // namespace hasteward::engine::postgres
