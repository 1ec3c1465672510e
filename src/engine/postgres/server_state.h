// What a PostgreSQL server says about its role and WAL position (one SQL round trip), and what a
// stopped server's pg_control says about where its WAL ended. Read by switchover and failover.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::engine::postgres {

struct ServerState {
  bool in_recovery = false;
  uint32_t timeline = 0;     // primary: the one it writes; standby: the one it receives (0: none)
  uint64_t current_lsn = 0;  // primary: pg_current_wal_lsn()
  std::optional<uint64_t> receive_lsn;  // standby: WAL flushed to its disk
  std::optional<uint64_t> replay_lsn;   // standby: WAL applied
  std::string receiver_status;          // standby: pg_stat_wal_receiver.status, "none" without
  std::string sender_host;              // standby: where its receiver connects
  int sender_port = 0;
  // standby: the host and port its primary_conninfo names (what it follows, even while the
  // primary is down and the receiver gone); "" / 0 when unset.
  std::string upstream_host;
  int upstream_port = 0;
  std::vector<std::string> streaming_walsenders;  // primary: application names streaming from it
};

// Connects with the cluster's admin credentials and reads the state. kUnreachable / kAuthFailed
// from the connection; kInternal when a reply cannot be parsed.
core::Result<ServerState> ReadServerState(const platform::InstanceHandle& handle);

// Whether `standby`'s state shows it streaming from `primary` (its receiver's sender is the
// primary's host:port, or the primary's walsenders list it by name).
bool StreamsFrom(const ServerState& standby, const platform::Instance& standby_instance,
                 const ServerState& primary, const platform::Instance& primary_instance);

// Where the WAL of a stopped server ends, from pg_controldata.
struct ShutdownPosition {
  std::string cluster_state;  // "shut down", "in production" (crashed), ...
  uint32_t timeline = 0;
  uint64_t checkpoint_lsn = 0;  // "Latest checkpoint location": the shutdown checkpoint's start
  bool clean() const { return cluster_state == "shut down"; }
};

// Runs pg_controldata where the instance lives. kInternal when it fails or its output lacks the
// fields.
core::Result<ShutdownPosition> ReadShutdownPosition(platform::InstanceHandle& handle);

}  // namespace hasteward::engine::postgres
