// engine/binlog_stream: the binlog received as the writer writes it, for a semi-synchronous binlog
// receiver (pitr/binlog/binlog_receiver.h). MariaDB: a replica connection to the writer
// (COM_BINLOG_DUMP from a file and offset) that announces itself as a semi-synchronous replica;
// the writer marks the last event of each transaction as waiting for an acknowledgement, and with
// rpl_semi_sync_master_wait_point = AFTER_SYNC it tells the client of that commit "done" only once
// a replica acknowledged the event's position. The receiver acknowledges a position only when the
// repository holds every byte before it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace hasteward::engine {

// The server id the receiver connects with (a replica's identity: it must differ from every
// server's; the writer drops an older connection of the same id, so one receiver per writer).
inline constexpr uint32_t kBinlogReceiverServerId = 4242424242U;

enum class BinlogStreamEventKind {
  kNothing,  // the wait ended with nothing to read
  kRotate,   // the events that follow are of `file`, from `position`
  kEvent,    // one event, exactly as the file holds it
};

struct BinlogStreamEvent {
  BinlogStreamEventKind kind = BinlogStreamEventKind::kNothing;
  std::string file;       // kRotate: the binlog file the next events are in
  uint64_t position = 0;  // kRotate: the next event's offset; kEvent: the offset after the event
  std::string bytes;      // kEvent: the event (header, body, checksum)
  bool ack_requested = false;  // kEvent: the writer waits for this event to be acknowledged
};

// One replica connection streaming the writer's binlog. Not thread-safe, but Acknowledge may run
// while another thread waits in Next.
class BinlogStream {
 public:
  virtual ~BinlogStream() = default;
  // Waits at most `wait` for the next event. The writer's artificial events (heartbeats, the
  // format description repeated when a dump starts inside a file) are not returned. Connection
  // loss and server errors are kUnreachable with the server's message.
  virtual core::Result<BinlogStreamEvent> Next(std::chrono::milliseconds wait) = 0;
  // Tells the writer that everything of `file` before `position` is durable: commits waiting for
  // it are acknowledged to their clients.
  virtual core::Status Acknowledge(const std::string& file, uint64_t position) = 0;
};

// Whether the writer waits for a semi-synchronous acknowledgement, as the server reports it.
struct SemiSyncState {
  bool enabled = false;     // rpl_semi_sync_master_enabled
  bool active = false;      // Rpl_semi_sync_master_status: off while it fell back (its timeout)
  bool after_sync = false;  // rpl_semi_sync_master_wait_point = AFTER_SYNC
  uint64_t clients = 0;     // semi-synchronous replicas connected (the receiver included)
  uint64_t timeout_ms = 0;  // rpl_semi_sync_master_timeout
  uint64_t fallbacks = 0;   // Rpl_semi_sync_master_no_times: times it fell back to asynchronous
  // It still takes the cluster's writes: read_only off and, on Galera, Synced. False after a
  // switchover or failover moved the writes elsewhere: the receiver follows them.
  bool takes_writes = false;
};

}  // namespace hasteward::engine
