// engine/postgres/guarded_alter_system: ALTER SYSTEM on an instance whose postgresql.auto.conf
// CloudNativePG may have made read-only (its ALTER SYSTEM guard, `enableAlterSystem: false`, the
// default; a base backup keeps the mode): the file is made writable for the statements and
// read-only again after them, also when one failed. Found on the real operator (issue 51): a
// point-in-time restore's reset of its recovery target failed with "could not open file
// "postgresql.auto.conf": Permission denied" after the replay had reached the target.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/postgres/pg_connection.h"
#include "platform/platform.h"

namespace hasteward::engine::postgres {

// Runs `statements` (ALTER SYSTEM ...) on `conn`, a connection to `target`.
core::Status GuardedAlterSystem(platform::Platform& platform, const platform::Cluster& cluster,
                                const platform::Instance& target, PgConnection& conn,
                                const std::vector<std::string>& statements);

}  // namespace hasteward::engine::postgres
