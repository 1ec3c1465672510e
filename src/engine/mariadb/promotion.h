// The MariaDB steps shared by switchover and failover once the candidate is chosen: wait until it
// applied an exact GTID set, promote it, repoint a replica to it, and prove it takes writes.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/status.h"
#include "engine/mariadb/mariadb_connection.h"
#include "platform/platform.h"

namespace hasteward::engine::mariadb {

// An admin connection whose read timeout covers a server-side wait of `wait` (MASTER_GTID_WAIT
// blocks the connection that long).
core::Result<std::unique_ptr<MariadbConnection>> ConnectForWait(
    const platform::InstanceHandle& instance, std::chrono::milliseconds wait);

// Waits (MASTER_GTID_WAIT, at most `timeout`) until `replica` has applied `final_position`, then
// checks that its gtid_current_pos equals it exactly: more would be transactions the old primary
// never had. kTimeout when the wait runs out; kSafetyStop when the replica is ahead or diverged.
// Returns the detail line.
core::Result<std::string> WaitAppliedExactly(MariadbConnection& replica, const std::string& name,
                                             const std::string& final_position,
                                             std::chrono::milliseconds timeout);

// Makes `candidate` the primary: STOP ALL SLAVES, RESET SLAVE ALL, the semi-sync master side on
// (slave side off) when `semisync`, read_only=OFF (last: the instance takes writes only once it
// replicates from no one).
core::Status Promote(MariadbConnection& candidate, bool semisync);

// Points `replica` at `primary` by GTID (CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos) and
// starts it, with the semi-sync slave side on when `semisync`. A non-empty `slave_pos` is set as
// gtid_slave_pos first: an old primary's own transactions are in its binlog position only, and
// it would otherwise ask for them again.
struct RepointOptions {
  bool semisync = false;
  std::string slave_pos;
};
core::Status Repoint(MariadbConnection& replica, const platform::Cluster& cluster,
                     const platform::Instance& primary, const RepointOptions& options);

// Proves `primary` takes writes: a probe account's write is accepted, and `follower` (when set)
// applies it within `timeout`. Returns the detail line.
core::Result<std::string> ProveWritable(const platform::InstanceHandle& primary,
                                        const platform::InstanceHandle* follower,
                                        std::chrono::milliseconds timeout);

}  // namespace hasteward::engine::mariadb
