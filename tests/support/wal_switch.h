// Closing the current WAL segment of a PostgreSQL server and waiting until its archive_command
// archived it: what a point-in-time test does before it relies on the archive holding a write.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/status.h"

namespace hasteward::testing {

// Runs `SELECT pg_switch_wal()` through `sql` (a runner answering the query's first line, "" when
// it failed) and polls pg_stat_archiver until the closed segment is archived; kTimeout naming it
// after `bound`.
core::Status SwitchWalAndWaitArchived(const std::function<std::string(const std::string&)>& sql,
                                      std::chrono::seconds bound = std::chrono::seconds(60));

}  // namespace hasteward::testing
