#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/engine.h"
#include "engine/instance_handles.h"

namespace hasteward::engine::postgres {

// What a native backup learns about one standby before choosing its source.
struct StandbyFacts {
  const platform::Instance* instance = nullptr;
  bool reachable = false;
  bool in_recovery = false;
  bool streaming = false;   // its WAL receiver reports 'streaming' from the primary
  uint64_t replay_lsn = 0;  // pg_last_wal_replay_lsn()
  std::string problem;      // why it cannot be the source, for the plan's "skipped" note
};

// A standby further behind than this when the backup starts is not worth waiting for: catching up
// 64 MiB of WAL takes seconds on any disk, more than that means a standby in trouble.
inline constexpr uint64_t kMaxStandbyLagBytes = uint64_t{64} << 20;

// The standby a native backup should copy, or nullptr for the primary. A standby is a candidate
// only when it is reachable, in recovery and streaming from the primary (a standby replaying an
// archive or disconnected may lag without bound) and at most kMaxStandbyLagBytes behind
// `primary_lsn`; among candidates the one that replayed the most wins (lowest position in the
// inventory among equals), so the wait for it is shortest. Fills each rejected standby's problem.
const StandbyFacts* PickStandbySource(std::vector<StandbyFacts>& standbys, uint64_t primary_lsn);

// Turns a primary-sourced plan into one that copies a healthy streaming standby, as
// CloudNativePG's prefer-standby and pgBackRest's backup-standby do: the primary keeps its I/O for
// its clients. The backup must still hold everything committed before it began, so the standby
// is used only after it replayed the primary's current WAL position (waiting at most
// `catch_up_timeout`); otherwise, or with no healthy standby, the plan keeps the primary and says
// why in its reason.
core::Status PreferStandbySource(InstanceHandles& handles, BackupPlan& plan,
                                 std::chrono::milliseconds catch_up_timeout);

}  // namespace hasteward::engine::postgres
