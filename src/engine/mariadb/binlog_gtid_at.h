// engine/mariadb/binlog_gtid_at: the GTID state a server's binlog had reached at a file and
// offset (what mariadb-backup records as the backup's binlog position). A Galera node's backup
// needs it: mariadb-backup writes the GTID of the last change from gtid_current_pos, which on a
// Galera node holds only write sets stamped with its own server id, so it is empty on every node
// but the one that bootstrapped the cluster.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::engine::mariadb {

// The GTID state ("1-1-42") after every transaction of binlog `file` on `instance` before
// `offset`: the file's Gtid_list advanced by the transactions in [header end, offset). Reads the
// file where the server lives (platform), in bounded chunks. kUnreachable when the file cannot be
// read (purged meanwhile), kCorruption when its bytes are no binlog or `offset` is not at a
// transaction boundary.
core::Result<std::string> GtidStateAtBinlogPosition(platform::Platform& platform,
                                                    const platform::Cluster& cluster,
                                                    const platform::Instance& instance,
                                                    const std::string& file, uint64_t offset);

}  // namespace hasteward::engine::mariadb
