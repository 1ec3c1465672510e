// The persisted fence of a PostgreSQL instance: a standby.signal in its data directory (the server
// starts read-only, in recovery, whoever starts it) plus a marker file saying who fenced it and
// why, which triage shows. Switchover fences the old primary for the length of the switch;
// failover leaves the old primary fenced until `repair` re-clones it (which replaces the data
// directory, fence included).
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::engine::postgres {

// The marker's file name under the data directory.
inline constexpr char kFenceMarkerFile[] = "hasteward.fence";

// Writes standby.signal and the marker (`reason`, one line) into `instance`'s data directory,
// durably. The server is expected to be stopped; the fence takes effect at its next start.
core::Status PersistFence(platform::InstanceHandle& handle, const std::string& reason);

// Removes the marker, and with `writable` also standby.signal (the next start is a primary).
// Absent files are fine.
core::Status LiftFence(platform::InstanceHandle& handle, bool writable);

// The marker's reason, nullopt when the instance carries no marker (or it cannot be read).
std::optional<std::string> ReadFence(platform::InstanceHandle& handle);

// The reason a switchover's fence carries while the switch runs; an interrupted run leaves it, and
// a rerun reads the candidate back from it (nullopt for any other reason).
std::string SwitchoverFenceReason(const std::string& old_primary, const std::string& candidate);
std::optional<std::string> InterruptedSwitchoverCandidate(const std::string& reason);

}  // namespace hasteward::engine::postgres
