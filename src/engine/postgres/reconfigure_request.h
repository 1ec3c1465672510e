// A PostgreSQL reconfigure request as the settings every instance gets: --set names normalized
// (setting_value.h), values checked for control characters, and --replication-mode as the one
// setting that makes commits synchronous (synchronous_standby_names). Pure: no server is asked.
#pragma once

#include <map>
#include <string>

#include "core/status.h"
#include "engine/reconfigure.h"

namespace hasteward::engine::postgres {

inline constexpr const char* kSynchronousStandbyNames = "synchronous_standby_names";

// synchronous_standby_names for a replication mode: kSemisync "ANY 1 (*)" (a commit returns once
// any one standby has flushed it), kAsync "" (commits never wait for a standby). Every instance
// gets the same value so that a promoted standby keeps the mode.
std::string SynchronousStandbyNames(ReplicationMode mode);

// Setting name -> raw value. kUsage for --semisync-wait-point (MariaDB only), a bad name, a value
// with a control character, a name given twice with different values, a --set of
// synchronous_standby_names that contradicts --replication-mode, or nothing to do.
core::Result<std::map<std::string, std::string>> PostgresSettingsOf(
    const ReconfigureRequest& request);

}  // namespace hasteward::engine::postgres
