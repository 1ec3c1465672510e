// pitr/binlog/binlog_archive: the MariaDB binlog archiver. One cycle: ask the engine which instance
// writes now (the primary; a Synced Galera node, staying on the same node while it can), list its
// binlog files, read the bytes after what is archived, and store every run of whole transactions
// as a piece in one type=wal snapshot with a manifest (catalog/binlog/binlog_catalog.h). The active
// file's tail goes too, so the archive trails the server by one cycle, not by one file. A writer
// that changed (switchover, failover, another Galera node) is picked up at the next cycle: its
// files whose transactions the archive already holds (by GTID) are skipped, the others are archived
// from their start, so the archive continues at the exact GTID where the previous writer's ended.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/binlog/binlog_catalog.h"
#include "catalog/binlog/binlog_index_format.h"
#include "core/clock.h"
#include "core/status.h"
#include "engine/binlog_archiving.h"
#include "platform/platform.h"
#include "repo/backup/snapshot_writer.h"
#include "repo/compress/zstd_codec.h"
#include "repo/repository.h"

namespace hasteward::pitr {

struct BinlogArchiveOptions {
  // Bytes read from one file per cycle (more when a single transaction is bigger).
  uint64_t read_bytes = 64ULL << 20;
  repo::CompressionOptions compression;
  const core::Clock* clock = &core::SystemClock::Get();
};

struct BinlogCycleResult {
  std::string writer;  // the instance archived from
  size_t pieces = 0;   // pieces stored this cycle
  uint64_t bytes = 0;
  size_t transactions = 0;
  std::string snapshot_id;             // hex, when something was stored
  std::string archived_state;          // the GTID state the archive reaches now
  uint32_t last_transaction_time = 0;  // commit time of the newest archived transaction
  size_t files_behind = 0;             // the writer's files not archived to their current end
  uint64_t bytes_behind = 0;           // and their bytes
  // Files whose read stopped at the read limit (options read_bytes) before the size they had when
  // listed: a backlog bigger than one cycle reads. The caller runs the next cycle at once.
  size_t files_cut_short = 0;
  // When the writer's files were listed (unix nanoseconds): every whole transaction it had
  // written then is archived now, unless files_behind says a read stopped short.
  uint64_t listed_at_ns = 0;
};

// The GTID state the archive reaches: every piece's state after, merged, except that a restore's
// rewind (BinlogRewind) starts the count again from its state (the abandoned future's GTIDs come
// back with other content).
std::string ArchivedState(const catalog::BinlogCatalog& catalog,
                          const engine::BinlogArchiving& binlogs);

// Stores a rewind (a snapshot holding only a manifest) so that archivers and later restores treat
// what was archived before `at_ns` beyond `state` as the abandoned future.
core::Status RecordBinlogRewind(repo::Repository& repo, const platform::Cluster& cluster,
                                const catalog::BinlogRewind& rewind);

// A piece and its bytes, as a cycle cut them.
struct BinlogPieceBytes {
  catalog::BinlogPiece piece;
  std::string bytes;
};

struct StoredBinlogPieces {
  std::string snapshot_id;
  catalog::BinlogIndexRecords records;
};

// Stores the pieces and their manifest as one binlog snapshot of `writer_instance`, then appends
// its records to the binlog index. The pieces count as archived only once the index names them:
// an error after the commit leaves a snapshot the index does not name, which a retried cycle
// stores again (readers list a piece stored twice once) and a rebuild finds.
core::Result<StoredBinlogPieces> StoreBinlogPieces(repo::Repository& repo,
                                                   const platform::Cluster& cluster,
                                                   const std::vector<BinlogPieceBytes>& batch,
                                                   const std::string& writer_instance,
                                                   const repo::SnapshotWriterOptions& options);

// Where the archive of the writer's binlog ends: the first file with bytes not archived, at the
// archived end of it (0: nothing of it yet), for the receiver's dump to continue exactly there.
struct BinlogResumePoint {
  engine::BinlogWriter writer;
  catalog::BinlogFileIdentity identity;
  engine::BinlogFileHeader header;
  uint64_t offset = 0;
  std::string state_before;  // the GTID state before the byte at `offset`
};

class BinlogArchiver {
 public:
  BinlogArchiver(repo::Repository& repo, platform::Platform& platform,
                 const platform::Cluster& cluster, engine::BinlogArchiving& binlogs,
                 BinlogArchiveOptions options)
      : repo_(repo), platform_(platform), cluster_(cluster), binlogs_(binlogs), options_(options) {}

  // One cycle. Stores only whole transactions; returns once the snapshot is committed (nothing
  // is presented as archived before that). Errors leave the archive as it was: the next cycle
  // starts again from the catalog.
  core::Result<BinlogCycleResult> RunCycle();
  // What the archive held after the last cycle that read it (nullptr before the first one): a
  // failed cycle's backlog is measured against it (pitr/binlog/binlog_backlog.h).
  const catalog::BinlogCatalog* catalog() const { return catalog_ ? &*catalog_ : nullptr; }
  // After a cycle: where the archive of the writer it archived from ends (the same choice of
  // files a cycle makes). kUnreachable when the writer changed meanwhile.
  core::Result<BinlogResumePoint> ResumePoint();

 private:
  struct FileHead {
    engine::BinlogFileInfo info;
    engine::BinlogFileHeader header;
  };
  // The writer's files whose header can be read now (a file being created is left for later).
  core::Result<std::vector<FileHead>> ReadHeads(const engine::BinlogWriter& writer);
  // Whether file `heads[i]` has bytes the archive lacks: not sealed in the archive, and not a file
  // the archive never saw whose every transaction it holds by GTID (the next file's start state).
  bool HasBytesToArchive(const std::vector<FileHead>& heads, size_t i,
                         const catalog::ArchivedBinlogFile* archived,
                         const std::string& archived_state) const;
  // The next piece of `head` (nullopt when nothing whole is new); counts what stays behind.
  core::Result<std::optional<BinlogPieceBytes>> NextPiece(
      const engine::BinlogWriter& writer, const FileHead& head,
      const catalog::ArchivedBinlogFile* archived, BinlogCycleResult* result);
  repo::Repository& repo_;
  platform::Platform& platform_;
  platform::Cluster cluster_;
  engine::BinlogArchiving& binlogs_;
  BinlogArchiveOptions options_;
  // Loaded at the first cycle, then kept up to date.
  std::optional<catalog::BinlogCatalog> catalog_;
};

}  // namespace hasteward::pitr
