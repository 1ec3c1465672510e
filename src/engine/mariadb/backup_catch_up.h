// A replica serves a backup only once it holds what the primary had committed when the backup was
// asked for. Seconds_Behind_Master says nothing about that: it reads 0 while the applier idles
// with events still in flight, and a dump of such a replica silently lacks the writes made just
// before "backup now" (a CI run caught a dump of a replica that had the tables but none of the
// rows inserted a moment earlier).
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::engine::mariadb {

// How long one replica may take to apply the primary's position before the backup turns to the
// next replica, then to the primary: as long as the lag a replica may have to serve a backup.
inline constexpr std::chrono::seconds kBackupCatchUpBound{10};

// Waits (MASTER_GTID_WAIT, at most `bound`) until `replica` has applied `primary_position` (the
// primary's gtid_binlog_pos when the backup began). Ok once applied; kTimeout when the bound ran
// out, saying where the replica is. An empty position (a primary that never logged a transaction)
// is held by every replica.
core::Status WaitReplicaHolds(const platform::InstanceHandle& replica,
                              const std::string& primary_position, std::chrono::milliseconds bound);

}  // namespace hasteward::engine::mariadb
