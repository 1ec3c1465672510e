// The fence a failover (and a switchover) leaves on an old primary: `read_only = ON` in a marked
// block at the end of its configuration file (the inventory's configFile; the sandbox's my.cnf),
// so a restart — a host reboot, a process supervisor — never brings it back writable beside the
// promoted replica (the fail-back that left two writable clusters elsewhere). The block stays
// until the instance is promoted again; `triage` names an instance that carries it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::engine::mariadb {

// The first line of the block (how triage and the removal find it).
inline constexpr char kFenceBlockBegin[] =
    "# hasteward: demoted old primary - read_only until hasteward promotes it again";
inline constexpr char kFenceBlockEnd[] = "# hasteward: end of fence";

// `config` with the fence block at its end (unchanged when it has one already with these
// `notes`; a block with other notes is replaced). Each note is one comment line in the block,
// "# hasteward-note: <note>": the server ignores it, a rerun reads it back (FenceNotes).
std::string WithFenceBlock(const std::string& config, const std::vector<std::string>& notes = {});
// The notes of the block in `config`, in order; empty without a block.
std::vector<std::string> FenceNotes(const std::string& config);
// `config` without the fence block (unchanged when it has none).
std::string WithoutFenceBlock(const std::string& config);
bool HasFenceBlock(const std::string& config);

// The note a switchover's fence carries while the switch runs, and back: the candidate it names
// (nullopt when no note is one).
std::string SwitchoverInProgressNote(const std::string& candidate);
std::optional<std::string> InterruptedSwitchoverCandidate(const std::vector<std::string>& notes);

// Writes the block into the instance's config file atomically, keeping its owner and mode.
// kUsage when the inventory names no config file or the platform cannot reach it from here.
core::Status PersistReadOnlyFence(const platform::InstanceHandle& instance,
                                  const std::vector<std::string>& notes = {});
// The notes of the instance's persisted block; empty without one or when unreadable from here.
std::vector<std::string> ReadFenceNotes(const platform::InstanceHandle& instance);
// Removes the block (ok when there is none, or no config file).
core::Status RemovePersistedFence(const platform::InstanceHandle& instance);
// A point-in-time restore's fence (NativeRestoreOptions::stay_read_only), written before the
// server starts on the restored data. Ok without writing when the inventory names no config file
// or the platform cannot reach it: the caller's SET GLOBAL read_only = ON after the start is then
// the only fence (logged). Other errors (the file cannot be written) are returned.
core::Status PersistRestoreFence(const platform::InstanceHandle& instance);
// SET GLOBAL read_only on `instance` (read_only = ON waits for open transactions' locks).
core::Status SetReadOnly(const platform::InstanceHandle& instance, bool read_only);
// Whether the instance's config file carries the block; false when it cannot be read from here.
bool ReadsPersistedFence(const platform::InstanceHandle& instance);

}  // namespace hasteward::engine::mariadb
