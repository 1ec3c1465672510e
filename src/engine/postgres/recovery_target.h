// PostgreSQL's recovery to a target for point-in-time restores (NativeRestoreOptions::recovery).
#pragma once

#include "engine/native_backup.h"

namespace hasteward::engine::postgres {

// Appends restore_command, recovery_target_time/_lsn, recovery_target_action = promote and
// recovery_target_timeline to the stopped target's postgresql.auto.conf and creates
// recovery.signal.
core::Status WriteRecoverySettings(platform::Platform& platform, const platform::Cluster& cluster,
                                   const platform::Instance& target,
                                   const RecoveryRequest& recovery);

// On the promoted target: kVerifyFailed unless the new timeline's history file records a stop at
// the target (not "no recovery target specified") and replay did not pass a time target / reached
// a position target. Then removes the recovery settings (ALTER SYSTEM RESET) and the prefetched
// WAL, so a standby cloned from the target later inherits no recovery target.
core::Status CheckTargetReached(platform::Platform& platform, const platform::Cluster& cluster,
                                const platform::Instance& target, const RecoveryRequest& recovery,
                                const NativeRestoreOptions& options);

}  // namespace hasteward::engine::postgres
