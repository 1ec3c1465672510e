// engine/mariadb/relay_log_replay: replays binlog files through the server's own parallel
// replication applier. The files are written into the data directory as relay logs with their
// index, a replication connection to a host that is never contacted points the SQL thread at the
// first one, and `slave_parallel_threads` workers (optimistic mode) apply them until the server's
// GTID position reaches the replay's stop position. The files hold exactly the transactions to
// replay, so the applier cannot pass the target. Afterwards the connection is removed and every
// setting changed for the replay is put back, also after a failure.
#pragma once

#include <string>

#include "core/status.h"
#include "engine/binlog_archiving.h"
#include "engine/sql_rows.h"

namespace hasteward::engine::mariadb {

// The variables ParallelReplayRefusal and the replay read, as one query.
extern const char* const kRelayReplayVariablesSql;

// Why the applier cannot replay on a server with `variables` (the one row of
// kRelayReplayVariablesSql) and `replicating` (a replication connection configured): the reason,
// or "" when it can. Each refusal is a way the applier would apply other transactions than the
// client would, or leave them out of the binlog the replicas and the archive read.
std::string ParallelReplayRefusal(const SqlRows& variables, bool replicating);

// Replays `input` on `target` through the parallel applier. When the server cannot (the refusal
// above, or its relay log outside the data directory), changes nothing and returns a kClient
// report with the reason: the caller replays through the client. kDumpFailed with the applier's
// error when it stops on a transaction; kTimeout when it makes no progress for 10 minutes.
// `server_id_fixed`: the server refuses a new server_id while it runs (a Galera node under
// wsrep_gtid_mode), so events carrying its own id, which the applier would skip, are renumbered
// in the relay logs instead.
core::Result<BinlogReplayReport> ReplayThroughParallelApplier(platform::Platform& platform,
                                                              const platform::Cluster& cluster,
                                                              const platform::Instance& target,
                                                              const BinlogReplayInput& input,
                                                              bool server_id_fixed);

}  // namespace hasteward::engine::mariadb
