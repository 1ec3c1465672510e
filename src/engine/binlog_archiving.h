// engine/binlog_archiving: the BinlogArchiving capability — what the MariaDB family knows about
// its binary logs for point-in-time recovery. The server keeps its binlogs itself; HASteward pulls
// them: each cycle it asks which instance writes now, lists that instance's binlog files, reads
// the bytes after what is archived, and ships only whole transactions. The engine reads the
// server and the binlog format; it never sees the repository (pitr/binlog/binlog_archive.h stores
// them).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/binlog_stream.h"
#include "platform/platform.h"

namespace hasteward::engine {

// The instance whose binlog holds every transaction the cluster commits now.
struct BinlogWriter {
  platform::Instance instance;
  // The server's identity in its binlogs. Galera nodes may share one server id, so the instance
  // name goes with it into the archive's keys (pitr/binlog/binlog_archive.h).
  uint32_t server_id = 0;
  // Where its binlog files are, on the instance (from log_bin_basename).
  std::string binlog_dir;
  // The server's GTID position (gtid_binlog_pos) when the writer was chosen.
  std::string gtid_binlog_pos;
};

// One binlog file as the server lists it (SHOW BINARY LOGS).
struct BinlogFileInfo {
  std::string name;   // "mariadb-bin.000003"
  uint64_t size = 0;  // bytes written so far (the last file is still being written)
};

// What the start of a binlog file says about all of it.
struct BinlogFileHeader {
  uint32_t server_id = 0;
  uint32_t created = 0;     // seconds since the epoch: tells same-named files apart
  std::string gtid_list;    // the GTID state before the file's first transaction
  uint64_t header_end = 0;  // offset where its first transaction starts
  bool checksums = false;   // whether its events end with a CRC-32
};

// One whole transaction in a binlog file.
struct BinlogTransactionSpan {
  std::string gtid;    // "0-1-42"
  uint64_t start = 0;  // file offsets [start, end)
  uint64_t end = 0;
  uint32_t time = 0;  // its commit time (seconds since the epoch)
};

// The whole transactions in a run of a binlog file's bytes.
struct BinlogRun {
  uint64_t start_offset = 0;
  uint64_t complete_end = 0;  // after the last whole transaction: ship [start_offset, complete_end)
  size_t transactions = 0;
  std::string first_gtid;  // "0-1-42"; empty when there is no transaction
  std::string last_gtid;
  uint32_t first_time = 0;  // the transactions' commit times (seconds since the epoch)
  uint32_t last_time = 0;
  // The GTIDs of the run's transactions in order ("0-1-42", ...): the archive's manifest keeps the
  // GTID state after every piece.
  std::vector<std::string> gtids;
  std::vector<BinlogTransactionSpan> spans;  // the same transactions with their offsets and times
  bool sealed = false;  // the file ends inside these bytes: nothing more will be written
};

// What a replay applies (BinlogArchiving::ReplayBinlogs).
struct BinlogReplayInput {
  std::vector<std::string> local_paths;  // binlog files: a header, then whole transactions
  std::string stop_state;                // the GTID position after the last of them
};

// Which applier a replay went through.
enum class BinlogApplier {
  kParallel,  // the server's replication applier, the files presented as relay logs
  kClient,    // mariadb-binlog decoding into one client session (mariadb-binlog | mariadb)
};

// "parallel" / "client".
const char* BinlogApplierName(BinlogApplier applier);

struct BinlogReplayReport {
  BinlogApplier applier = BinlogApplier::kClient;
  unsigned threads = 1;         // the applier's worker threads (slave_parallel_threads)
  std::string fallback_reason;  // why the parallel applier was not used (kClient only)
};

class BinlogArchiving {
 public:
  virtual ~BinlogArchiving() = default;

  // The instance to archive from now. Replication: the one primary (not a replica, writable);
  // Galera: a Synced node with binlogs, `preferred` when it still qualifies (an archive keeps to
  // one node while it can: the nodes' binlog files and boundaries differ). kUnreachable when no
  // instance qualifies, kSplitBrain when two primaries do (never archive from a forked cluster);
  // kUsage when the writer has no binlog (log_bin off).
  virtual core::Result<BinlogWriter> FindWriter(platform::Platform& platform,
                                                const platform::Cluster& cluster,
                                                const std::string& preferred) = 0;
  // The writer's binlog files, oldest first.
  virtual core::Result<std::vector<BinlogFileInfo>> ListFiles(platform::Platform& platform,
                                                              const platform::Cluster& cluster,
                                                              const BinlogWriter& writer) = 0;
  // Up to `max_bytes` of the binlog file `name` from `offset` (fewer at its current end).
  virtual core::Result<std::string> ReadFile(platform::Platform& platform,
                                             const platform::Cluster& cluster,
                                             const BinlogWriter& writer, const std::string& name,
                                             uint64_t offset, uint64_t max_bytes) = 0;
  // Parses the head of a file; nullopt when `head` is too short to hold the header (read more).
  // kCorruption for bytes that are no binlog.
  virtual core::Result<std::optional<BinlogFileHeader>> ReadHeader(std::string_view head) const = 0;
  // The whole transactions in `bytes`, which start at file offset `offset` (the header's end or a
  // previous run's complete_end). kCorruption names the offset; a cut last event is not
  // an error.
  virtual core::Result<BinlogRun> ScanRun(std::string_view bytes, uint64_t offset,
                                          const BinlogFileHeader& header) const = 0;

  // GTID states ("0-1-42,1-2-7": per replication domain, the last transaction) as the archive
  // tracks them. The state after `gtids` were applied on top of `state`.
  virtual std::string AdvanceGtidState(const std::string& state,
                                       const std::vector<std::string>& gtids) const = 0;
  // Per domain the furthest of `states`: everything any of them includes.
  virtual std::string MergeGtidStates(const std::vector<std::string>& states) const = 0;
  // Whether every transaction up to `position` is included in `state`. Galera compares its
  // domains by sequence number alone: the server id in a write set's GTID is the one of the node
  // that bootstrapped the cluster last, so a restored cluster replays with another one.
  virtual bool StateIncludes(const std::string& state, const std::string& position) const = 0;
  // Whether `gtid` is the very next transaction of its domain after `state` (no transaction of
  // that domain missing in between): a replay that skips one would fork the data.
  virtual bool Follows(const std::string& state, const std::string& gtid) const = 0;

  // Applies the transactions of the binlog files at `input.local_paths` (on this machine, in
  // order) to `target`, each with its original GTID: through the server's parallel replication
  // applier where the target allows it, else through the server's own client (the report says
  // which, and why). kDumpFailed naming what the server refused. The files hold exactly the
  // transactions to replay, so no applier can pass `input.stop_state`. The caller makes sure
  // nothing else writes to `target` meanwhile. Galera: the node gives each write set the
  // cluster's next GTID itself (wsrep_gtid_mode), which is the original's domain and sequence
  // number when the replay starts at the base's position.
  virtual core::Result<BinlogReplayReport> ReplayBinlogs(platform::Platform& platform,
                                                         const platform::Cluster& cluster,
                                                         const platform::Instance& target,
                                                         const BinlogReplayInput& input) = 0;
  // Ends what NativeRestoreOptions::stay_read_only began, once a replay reached its target:
  // removes the restore's persisted fence and sets read_only = OFF on `primary` (Galera: on every
  // node, each of which was fenced). Errors name the instance that is still read-only.
  virtual core::Status OpenForWrites(platform::Platform& platform, const platform::Cluster& cluster,
                                     const platform::Instance& primary) = 0;
  // The GTID position the instance of `instance` has written to its binlog (gtid_binlog_pos).
  virtual core::Result<std::string> BinlogPosition(const platform::InstanceHandle& instance) = 0;

  // The semi-synchronous receiver (engine/binlog_stream.h). A replica connection streaming
  // `writer`'s binlog from `file` at `offset` (a transaction's end, or 4: the file's start).
  // kUsage when the connection is encrypted (the acknowledgement is written on the socket).
  virtual core::Result<std::unique_ptr<BinlogStream>> OpenBinlogStream(
      platform::Platform& platform, const platform::Cluster& cluster, const BinlogWriter& writer,
      const std::string& file, uint64_t offset) = 0;
  // Makes `writer` wait, after syncing each commit to its binlog (AFTER_SYNC), until a
  // semi-synchronous replica acknowledged it, at most `timeout`; then it commits asynchronously
  // until a replica caught up again (the server's own fallback). Not persisted: a restarted
  // server waits for nobody until the receiver connects and sets it again.
  virtual core::Status RequireAcknowledgement(platform::Platform& platform,
                                              const platform::Cluster& cluster,
                                              const BinlogWriter& writer,
                                              std::chrono::milliseconds timeout) = 0;
  virtual core::Result<SemiSyncState> AcknowledgementState(platform::Platform& platform,
                                                           const platform::Cluster& cluster,
                                                           const BinlogWriter& writer) = 0;
};

}  // namespace hasteward::engine
