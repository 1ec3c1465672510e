// engine/wal_stream: WAL received as the server writes it, for a synchronous receiver
// (pitr/wal/wal_receiver.h). PostgreSQL: a physical replication connection to the primary, a
// replication slot that keeps the WAL the receiver has not confirmed, START_REPLICATION from a
// position, and standby status updates whose flush position is what synchronous replication
// waits for. The receiver reports as flushed only what the repository holds, so a commit that
// waits for it (synchronous_standby_names naming it) is acknowledged only once it is stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::engine {

// The application name the receiver connects with: what synchronous_standby_names names.
inline constexpr char kWalReceiverName[] = "hasteward_receiver";
// The physical replication slot it keeps on the primary.
inline constexpr char kWalReceiverSlot[] = "hasteward_receiver";

// Who the server is and where its WAL stands (IDENTIFY_SYSTEM), and the slot's restart point.
struct WalStreamOrigin {
  std::string system_id;
  uint32_t timeline = 0;  // the server's current timeline
  uint64_t position = 0;  // its current WAL write position
  // The slot's restart position and timeline (0 when the slot was created now).
  uint64_t slot_restart = 0;
  uint32_t slot_timeline = 0;
};

enum class WalStreamEventKind {
  kNothing,      // the wait ended with nothing to read
  kData,         // WAL bytes
  kKeepalive,    // the server's keepalive (may ask for a status update)
  kTimelineEnd,  // the streamed timeline ended (a promotion): continue on next_timeline
};

struct WalStreamEvent {
  WalStreamEventKind kind = WalStreamEventKind::kNothing;
  uint64_t start = 0;  // kData: the position of data's first byte
  core::Bytes data;
  uint64_t server_end = 0;       // the server's WAL end as it reported it
  bool reply_requested = false;  // kKeepalive
  uint32_t next_timeline = 0;    // kTimelineEnd
  uint64_t switch_position = 0;  // kTimelineEnd: where next_timeline begins
};

// One replication connection streaming one timeline. Not thread-safe.
class WalStream {
 public:
  virtual ~WalStream() = default;
  // Waits at most `wait` for the next message. Connection loss and server errors are
  // kUnreachable with the server's message.
  virtual core::Result<WalStreamEvent> Next(std::chrono::milliseconds wait) = 0;
  // The standby status update: received (written) and durable (flushed, and applied: nothing is
  // replayed here) positions.
  virtual core::Status Report(uint64_t received, uint64_t durable, bool reply_requested) = 0;
  // The history file of `timeline` (TIMELINE_HISTORY), after kTimelineEnd; on a connection that
  // is no longer streaming.
  virtual core::Result<std::string> TimelineHistory(uint32_t timeline) = 0;
  // Starts streaming `timeline` from `position` again on this connection (after kTimelineEnd).
  virtual core::Status Restart(uint32_t timeline, uint64_t position) = 0;
};

// Connects to `primary` with the cluster's replication credentials, makes the slot when it is
// missing, reads the origin; Start then streams.
class WalStreamSource {
 public:
  virtual ~WalStreamSource() = default;
  virtual const WalStreamOrigin& origin() const = 0;
  virtual core::Result<std::unique_ptr<WalStream>> Start(uint32_t timeline, uint64_t position) = 0;
  // The history file of `timeline` (before Start).
  virtual core::Result<std::string> TimelineHistory(uint32_t timeline) = 0;

  // The receiver's fallback (pitr/wal/wal_receiver.h): FallBack stops the primary waiting for the
  // receiver (PostgreSQL: synchronous_standby_names emptied, reloaded) and marks that the receiver
  // did it; Restore names the receiver again, only where that mark is set (a person's own
  // choice of asynchronous commit is never undone), and clears the mark. Each over an ordinary
  // connection of its own.
  virtual core::Status FallBack() = 0;
  virtual core::Result<bool> Restore() = 0;  // true when it restored synchronous commit
};

}  // namespace hasteward::engine
