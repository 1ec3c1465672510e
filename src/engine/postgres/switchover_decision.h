// PostgreSQL switchover and failover decisions, made on positions read from the instances: whether
// a standby may be a switchover candidate, whether it has replayed the old primary's last record,
// and which standby a failover promotes. Pure functions; unit-tested on hand-built input
// (tests/engine/postgres_switchover_decision_test.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace hasteward::engine::postgres {

// A switchover keeps writes stopped while the candidate catches up: a candidate further behind
// than this is refused up front instead of timing out with the old primary already down.
inline constexpr uint64_t kMaxSwitchoverLagBytes = 64ULL << 20;

// What the primary and a would-be switchover candidate report, read just before the decision.
struct CandidateView {
  std::string name;
  bool in_recovery = false;
  std::string receiver_status;  // pg_stat_wal_receiver.status ("streaming", "none", ...)
  // The candidate's receiver connects to the primary: its sender host:port is the primary's, or
  // the primary lists the candidate as a streaming walsender.
  bool follows_primary = false;
  uint32_t timeline = 0;     // the timeline it receives
  uint64_t receive_lsn = 0;  // WAL it has flushed
  uint64_t replay_lsn = 0;   // WAL it has applied
  uint32_t primary_timeline = 0;
  uint64_t primary_lsn = 0;  // pg_current_wal_lsn() on the primary
};

// "" when `view` may be promoted by a switchover, else why not (one line).
std::string SwitchoverCandidateObjection(const CandidateView& view);

// Whether a candidate that has replayed up to `replay_lsn` holds all of the old primary's WAL,
// whose shutdown checkpoint record starts at `checkpoint_lsn` (pg_controldata "Latest checkpoint
// location" of the stopped primary).
bool ReplayedShutdownCheckpoint(uint64_t replay_lsn, uint64_t checkpoint_lsn);

// What one standby told us (or could not tell us) about its WAL, for the failover choice.
struct StandbyPosition {
  std::string name;
  int ordinal = 0;
  bool reachable = false;  // answered SQL and is in recovery
  uint32_t timeline = 0;
  std::optional<uint64_t> receive_lsn;  // pg_last_wal_receive_lsn(): WAL flushed to its disk
  std::optional<uint64_t> replay_lsn;   // pg_last_wal_replay_lsn()
  std::string error;                    // why it could not be read

  // The most WAL it holds: the greater of received and replayed; nullopt when neither is known.
  std::optional<uint64_t> position() const;
};

struct FailoverChoice {
  std::string name;
  uint64_t lsn = 0;
  std::string reason;  // "most advanced: 0/5000060 (of 'db-1' 0/5000060, 'db-2' 0/4F00000)"
  // The refusals `force` overrode (empty without force).
  std::vector<std::string> overridden;
};

// Chooses the standby a failover promotes: `requested` when named, else the most advanced
// (highest position; a tie goes to the lowest ordinal). kSafetyStop when a standby's position
// cannot be read, when a reachable standby is ahead of the choice, or when the standbys are on
// different timelines, unless `force` (the objections are then listed in `overridden`);
// kSafetyStop also when no standby can be promoted at all (force or not); kNotFound when
// `requested` is not one of `standbys`.
core::Result<FailoverChoice> ChooseFailoverCandidate(const std::vector<StandbyPosition>& standbys,
                                                     const std::string& requested, bool force);

}  // namespace hasteward::engine::postgres
