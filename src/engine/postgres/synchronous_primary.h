// `failover --require-sync` on PostgreSQL: the old primary acknowledged commits only once a
// synchronous standby had them. Its synchronous_standby_names is read from its own configuration
// files (`postgres -C`, which reads postgresql.conf and postgresql.auto.conf with the server down);
// a standby's settings say nothing of the primary's.
#pragma once

#include <string>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::engine::postgres {

// The old primary's synchronous_standby_names; kSafetyStop when it is empty (commits were
// acknowledged asynchronously) or cannot be read (nothing proves it was not).
core::Result<std::string> RequireSynchronousPrimary(platform::InstanceHandle& old_primary_handle);

}  // namespace hasteward::engine::postgres
