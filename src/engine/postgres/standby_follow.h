// Pointing a PostgreSQL standby at a (new) primary: its primary_conninfo names the primary, the
// replication user and a password file beside the data directory (never the password itself), set
// with ALTER SYSTEM and a reload, after which the WAL receiver reconnects and follows the primary's
// newest timeline (recovery_target_timeline = 'latest', the default).
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"
#include "engine/instance_handles.h"
#include "platform/platform.h"

namespace hasteward::engine::postgres {

// The replication password file of `standby`: "<data_dir>.pgpass", mode 0600, its OS user's.
// Outside the data directory so that a re-clone (pg_basebackup) or pg_rewind leaves it alone.
std::string ReplicationPassFile(const platform::Instance& standby);

// The primary_conninfo of `standby` following `primary` (libpq quoting; no password).
std::string PrimaryConninfo(const platform::Cluster& cluster, const platform::Instance& primary,
                            const platform::Instance& standby);

// Writes the password file (the password on the script's stdin), sets primary_conninfo with
// ALTER SYSTEM and reloads. `standby` must be running in recovery.
core::Status FollowPrimary(platform::InstanceHandle& standby, const platform::Instance& primary);

// Waits until `standby` streams from `primary` on `primary`'s timeline; kTimeout after `timeout`.
core::Status WaitStreaming(const platform::InstanceHandle& standby,
                           const platform::InstanceHandle& primary,
                           std::chrono::milliseconds timeout);

}  // namespace hasteward::engine::postgres
