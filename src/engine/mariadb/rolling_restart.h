// A rolling restart of a MariaDB-family cluster after a static variable was persisted: one
// instance at a time, each serving again before the next goes down, so the cluster never loses
// more than one member.
#pragma once

#include <functional>
#include <string>

#include "core/status.h"
#include "engine/instance_handles.h"
#include "engine/reconfigure.h"
#include "platform/platform.h"

namespace hasteward::engine::mariadb {

// Restarts every instance of `plan`: replicas first, then the primary (Galera: the nodes in plan
// order). A replica is back when both replication threads run, a Galera node when it is Synced,
// the primary when it accepts connections; kTimeout naming the instance after two minutes. `log`
// (may be empty) gets one line per step.
core::Status RollingRestart(InstanceHandles& handles, const ReconfigurePlan& plan, bool galera,
                            const std::function<void(const std::string&)>& log);

}  // namespace hasteward::engine::mariadb
