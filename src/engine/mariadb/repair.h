#pragma once

#include <chrono>

#include "engine/repair.h"

namespace hasteward::engine::mariadb {

// Re-clones a (running) replica from the primary with a dump: first read a consistent
// mariadb-dump of the primary (--single-transaction --master-data --gtid) completely into a local
// spool (a donor that fails mid-stream fails the heal with the replica untouched), then stop and
// reset its replication, drop its user databases and reset its binary log (logged by name), load
// the spooled dump without binlogging it,
// set gtid_slave_pos to the dump's position, reconnect with MASTER_USE_GTID=slave_pos and wait
// until the IO and SQL threads run and the replica has caught up with the primary.
// Waits within `timeout` until `instance` accepts connections; a rejected login ends the wait too
// (the caller's next connection reports it). For a server just started: a pod runs before its
// server answers.
core::Status WaitAcceptsConnections(const platform::InstanceHandle& instance,
                                    std::chrono::seconds timeout);

core::Status HealReplica(platform::Platform& platform, const platform::Cluster& cluster,
                         const platform::Instance& target, const platform::Instance& primary,
                         const HealOptions& options);

// The SQL that points a replica at `primary` by GTID (password quoted for a string literal).
std::string ChangeMasterSql(const platform::Instance& primary, const std::string& user,
                            const std::string& password);

}  // namespace hasteward::engine::mariadb
