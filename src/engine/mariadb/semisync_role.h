// The semi-sync side of an instance's role, made to survive a restart. A switchover or failover
// turns the master side on for the new primary and the slave side on for the replicas at runtime
// (promotion.h); without the same in the instance's config, a restart brings the old role's mode
// back: a new primary that commits asynchronously (its acknowledged commits may be on no replica),
// replicas that never acknowledge. Triage reports the mismatch as degraded.
#pragma once

#include <string>

#include "engine/mariadb/mariadb_connection.h"
#include "platform/instance_handle.h"

namespace hasteward::engine::mariadb {

// Writes the semi-sync variables of the role `instance` now plays into its override file
// (override_file.h): primary: master side on with the wait point it runs with, slave side off;
// replica: the reverse. `conn` is a connection to it. Returns "" when persisted, else why not:
// the role change itself stands (it is in effect), so callers report it, they do not undo it.
std::string PersistSemisyncRole(const platform::InstanceHandle& instance, MariadbConnection& conn,
                                bool primary);

// PersistSemisyncRole for a step's report: " (semi-sync master side on)" / " (semi-sync replica
// side on)", with "; not persisted: <why>" when the config could not be written.
std::string SemisyncRoleDetail(const platform::InstanceHandle& instance, MariadbConnection& conn,
                               bool primary);

// Whether `conn`'s server runs the semi-sync master side (a primary whose replicas must
// acknowledge).
bool RunsSemisyncMaster(MariadbConnection& conn);

}  // namespace hasteward::engine::mariadb
