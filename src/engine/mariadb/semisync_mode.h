// MariaDB's replication mode as server variables (pure): which semi-sync variables a mode sets on
// a primary and on a replica, how a request's own --set values are checked against them, and
// triage's comparison of the mode a server runs with against the mode it would start with.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/mariadb/option_overrides.h"
#include "engine/reconfigure.h"
#include "engine/triage.h"

namespace hasteward::engine::mariadb {

inline constexpr const char* kSemisyncMasterEnabled = "rpl_semi_sync_master_enabled";
inline constexpr const char* kSemisyncSlaveEnabled = "rpl_semi_sync_slave_enabled";
inline constexpr const char* kSemisyncWaitPoint = "rpl_semi_sync_master_wait_point";
// Triage facts: the value the server would start with, "persisted_<variable>".
inline constexpr const char* kPersistedPrefix = "persisted_";
// Triage fact holding the instance's SemisyncConfigCheck name.
inline constexpr const char* kSemisyncConfigFact = "semisync_config";

// The variables `mode` sets on one instance: the primary gets rpl_semi_sync_master_enabled (and,
// for semi-sync, the wait point); a replica gets rpl_semi_sync_slave_enabled. Values are in the
// server's spelling (ON/OFF, AFTER_SYNC).
OptionOverrides SemisyncSettings(ReplicationMode mode, SemisyncWaitPoint wait_point, bool primary);

// `requested` (normalized names, raw values) plus `mode_settings`. kUsage naming the variable and
// `instance` when a requested value contradicts the mode's (ON and 1 agree); nothing is changed
// for a refused request because planning comes first.
core::Result<OptionOverrides> MergeModeSettings(const OptionOverrides& mode_settings,
                                                const OptionOverrides& requested,
                                                const std::string& instance);

// Triage's comparison of running and persisted semi-sync state.
enum class SemisyncConfigCheck {
  kAgree,                // the server would start in the mode it runs in
  kDisagree,             // a restart would change the mode (runtime change not persisted)
  kEngineUnreadable,     // the server's running state could not be read
  kConfigUnreadable,     // its persisted configuration could not be read
  kPrimaryOnReplicaOff,  // the primary waits for semi-sync acks no replica sends
};
// "agree", "disagree", "engine-unreadable", "config-unreadable", "primary-on-replica-off".
const char* SemisyncConfigCheckName(SemisyncConfigCheck check);

// The check of one instance from its triage facts (the running variables and, with the
// kPersistedPrefix, the persisted ones): kEngineUnreadable unless the instance was read,
// kConfigUnreadable without persisted facts, else agree / disagree on its role's variables.
SemisyncConfigCheck CheckInstanceSemisync(const InstanceHealth& health);

// Adds the per-instance check as the kSemisyncConfigFact fact, and findings: a warning (verdict
// degraded) for each disagreeing instance and for each replica with semi-sync off while the primary
// has it on (that instance's fact becomes primary-on-replica-off); info for a config that could
// not be read.
void AddSemisyncConfigFindings(std::vector<InstanceHealth>* instances,
                               std::vector<Finding>* findings, Verdict* verdict);

}  // namespace hasteward::engine::mariadb
