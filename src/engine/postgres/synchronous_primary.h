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
// acknowledged asynchronously), names HASteward's WAL receiver (its acknowledgement puts a commit
// in the repository, not on a standby: the most advanced standby may lack it), or cannot be read
// (nothing proves it was not).
core::Result<std::string> RequireSynchronousPrimary(platform::InstanceHandle& old_primary_handle);

// Whether synchronous_standby_names (any of its forms: "a, b", "FIRST 1 (a, b)", "ANY 1 (...)",
// names quoted or not, any case) names engine::kWalReceiverName. "*" does not count: it is what
// `reconfigure --replication-mode semisync` writes for the cluster's own standbys; a receiver
// streaming beside it could acknowledge too (docs/switchover.md says so).
bool WalReceiverMayAcknowledge(const std::string& synchronous_standby_names);

}  // namespace hasteward::engine::postgres
