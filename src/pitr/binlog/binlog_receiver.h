// pitr/binlog/binlog_receiver: `hasteward archive binlog --sync`, the semi-synchronous binlog
// receiver of a MariaDB or Galera cluster (docs/pitr.md, "Recovery point zero"). It is a replica
// of the binlog writer (engine/binlog_stream.h) that acknowledges a transaction only once the
// repository holds it; with the writer waiting for that acknowledgement after syncing each commit
// (rpl_semi_sync_master_wait_point = AFTER_SYNC, which the receiver sets), a client is told
// "committed" only for what the repository holds — until the writer's own timeout
// (rpl_semi_sync_master_timeout = fallback_after) lets it commit asynchronously; it waits again
// once the receiver caught up.
//
// One session, one step per line:
//   tidy        the pieces an earlier session streamed go into an ordinary binlog snapshot;
//   catch up    one archiver cycle (pitr/binlog/binlog_archive.h) brings the archive to the
//               writer's whole transactions, from whichever instance writes now;
//   require     the writer waits for a semi-synchronous acknowledgement (AFTER_SYNC, timeout);
//   stream      from where the archive ends: every event already received is taken, the whole
//               transactions among them stored as one piece per file
//               (catalog/binlog/binlog_stream_store.h, one repository write: group commit),
//               then the stored end acknowledged;
//   consolidate every few seconds the streamed pieces go into one binlog snapshot (the archive's
//               normal files) and are removed, so objects and index stay bounded.
// A lost connection or another writer (switchover, failover, a Galera node change) ends the
// session (kUnreachable); RunBinlogReceiver starts the next one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"
#include "engine/binlog_archiving.h"
#include "pitr/binlog/binlog_archive.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::pitr {

struct BinlogReceiverProgress {
  std::string writer;         // the instance streamed from
  std::string file;           // its binlog file being received
  uint64_t durable = 0;       // the offset in `file` the repository holds to (acknowledged)
  std::string durable_state;  // the GTID state there
  uint64_t pieces_written = 0;
  uint64_t snapshots = 0;     // consolidations into binlog snapshots
  uint64_t store_micros = 0;  // the last store's duration
  uint64_t acknowledged = 0;  // acknowledgements sent
  // The writer waits for the receiver now (semi-sync on, AFTER_SYNC, not fallen back).
  bool synchronous = false;
  uint64_t fallbacks = 0;        // the writer's fallbacks to asynchronous commits (its count)
  bool repository_down = false;  // stores fail now
  // Unix seconds when the receiver had stored everything the writer had sent: every commit
  // acknowledged by then is in the repository (the archive's lag counts from here).
  double covered_at = 0;
};

struct BinlogReceiverOptions {
  // One wait for the writer; the stop check and the periodic work happen at least this often.
  std::chrono::milliseconds wait{200};
  // The writer's bound on one commit's wait for the receiver (rpl_semi_sync_master_timeout).
  std::chrono::milliseconds fallback_after{10000};
  // The streamed pieces go into a binlog snapshot this often (and at the end of a session).
  std::chrono::milliseconds consolidate_every{5000};
  // How often the writer's semi-sync state is read (fallbacks, a restarted writer).
  std::chrono::milliseconds state_every{2000};
  // How often a store is tried again during an outage.
  std::chrono::milliseconds outage_retry{1000};
  // A session that cannot start (the writer away) is tried again after this.
  std::chrono::milliseconds retry{2000};
  BinlogArchiveOptions archive;
  // Polled between waits: true ends RunBinlogReceiver with OK.
  std::function<bool()> stop;
  // Called after each store and state reading (status lines, metrics, tests).
  std::function<void(const BinlogReceiverProgress&)> progress;
};

// Sessions until `stop`: a lost writer or repository is waited out (the writer keeps its
// binlog); an error that needs a person (corruption, refused credentials, TLS) ends it.
core::Status RunBinlogReceiver(repo::Repository& repo, platform::Platform& platform,
                               const platform::Cluster& cluster, engine::BinlogArchiving& binlogs,
                               const BinlogReceiverOptions& options);

// Moves every streamed piece of the cluster into one binlog snapshot and removes the pieces (what
// a session does first; tests and the receiver's end). Returns the pieces moved.
core::Result<size_t> ConsolidateBinlogStream(repo::Repository& repo,
                                             const platform::Cluster& cluster,
                                             const BinlogArchiveOptions& options);

}  // namespace hasteward::pitr
