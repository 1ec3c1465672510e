// pitr/binlog/binlog_status: `hasteward pitr status` for MariaDB/Galera binlog archives — per
// native base backup, how far the archived binlogs replay it (the restore planner's own walk,
// catalog/binlog/binlog_chain.h, so what is shown is what a restore can do), the newest transaction
// it reaches, and the first gap after that window, named by the missing bytes of an archived file
// and by GTID.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "catalog/binlog/binlog_catalog.h"
#include "core/status.h"
#include "engine/engine.h"
#include "repo/repository.h"

namespace hasteward::pitr {

// Bytes of an archived file that no snapshot holds, with archived pieces after them.
struct BinlogHole {
  catalog::BinlogFileIdentity identity;
  uint64_t start = 0;
  uint64_t end = 0;
};

// Where a window ends although the archive holds more.
struct BinlogGap {
  std::string after;       // the GTID position the window reaches
  std::string resumes_at;  // the first archived transaction beyond it
  std::string resumes_in;  // the file holding that transaction (catalog::BinlogFileIdentity::Key())
  // The missing piece that explains it; nullopt when no archived file has a hole there (the
  // transactions were never archived, or a whole file's snapshot is gone).
  std::optional<BinlogHole> missing;
};

struct BinlogWindow {
  repo::Snapshot base;
  std::string start;  // the base's GTID position
  // Taken in a future a restore abandoned: no base for the history that followed.
  bool abandoned = false;
  size_t transactions = 0;  // archived transactions the window replays
  std::string end;          // the GTID position it reaches
  std::string last_gtid;    // the newest transaction it reaches ("" when none)
  uint32_t last_time = 0;   // and its commit time
  std::optional<BinlogGap> gap;
  // A restore can go past the base itself.
  bool Recoverable() const { return !abandoned && (transactions > 0 || !gap); }
};

struct BinlogPitrStatus {
  std::string cluster;  // "ns/name"
  size_t binlog_files = 0;
  size_t binlog_pieces = 0;
  size_t binlog_snapshots = 0;
  size_t rewinds = 0;
  uint64_t archived_at_ns = 0;  // when the newest piece was stored (0: nothing archived)
  // The receiver's tail no snapshot holds yet (archive binlog --sync): its pieces and the GTID
  // state it reaches ("" when none), what a restore replays after the snapshots.
  size_t streamed_pieces = 0;
  std::string streamed_state;
  std::vector<BinlogWindow> windows;  // oldest base first

  // {"cluster","binlog_files","binlog_pieces","binlog_snapshots","rewinds","archived_at",
  //  "streamed":{"pieces","state"},
  //  "bases":[{"snapshot","time","start","abandoned","recoverable","transactions","end",
  //  "last_gtid","end_time","gap":{"after","resumes_at","resumes_in",
  //  "missing":{"file","start","end"}|null}|null}]}
  nlohmann::json ToJson() const;
  std::string ToText() const;
};

// Reads the cluster's native base backups and archived binlogs (every archived piece is read).
// The index is loaded here. kCorruption when a manifest cannot be read.
core::Result<BinlogPitrStatus> ReadBinlogPitrStatus(repo::Repository& repo,
                                                    const platform::Cluster& cluster,
                                                    const engine::BinlogArchiving& binlogs);

}  // namespace hasteward::pitr
