// What every instance of a PostgreSQL cluster says at one moment (role, WAL position, fence
// marker), read before a switchover or failover decides anything.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/instance_handles.h"
#include "engine/postgres/server_state.h"
#include "platform/platform.h"

namespace hasteward::engine::postgres {

struct ObservedInstance {
  platform::Instance instance;
  std::optional<ServerState> state;  // nullopt: it did not answer (see error)
  std::string error;
  std::optional<std::string> fence;  // the reason of a hasteward fence marker in its data dir

  bool answers() const { return state.has_value(); }
  bool primary() const { return state && !state->in_recovery; }
  bool standby() const { return state && state->in_recovery; }
};

// Reads every instance of the cluster through its handle (read-only; an instance that does not
// answer, or whose handle does not open, is recorded).
std::vector<ObservedInstance> ObserveCluster(InstanceHandles& handles);

// The instances that answer as primaries.
std::vector<const ObservedInstance*> Primaries(const std::vector<ObservedInstance>& seen);

}  // namespace hasteward::engine::postgres
