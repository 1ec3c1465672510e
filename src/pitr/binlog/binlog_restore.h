// pitr/binlog/binlog_restore: `restore --until TIME | --until-gtid GTID` for MariaDB — the newest
// native base backup before the target, the archived binlog transactions that follow its GTID
// position, checked to reach the target with no gap before anything is touched, the base restored,
// the transactions replayed on the restored primary with their original GTIDs (its replicas receive
// them; on Galera the restored node, whose joined nodes receive them as write sets), and the
// final GTID position checked to be exactly the target's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/binlog/binlog_chain.h"
#include "core/status.h"
#include "engine/cluster_handle.h"
#include "engine/repair.h"
#include "jobs/instant_restore.h"
#include "repo/repository.h"

namespace hasteward::pitr {

struct BinlogRestoreOptions {
  catalog::BinlogTarget target;
  bool confirm_overwrite = false;
  bool force = false;
  // Replace instances holding transactions past the target (or of unknown position), keeping
  // their data (jobs/discard_gate.h); refused with kNewerData otherwise.
  bool confirm_rewind = false;
  engine::HealOptions heal;
  // The cluster whose backups and archived binlogs are replayed; none = the target itself (a DR
  // activation restores its source's into another cluster, dr/activation.h).
  std::optional<platform::Cluster> source;
  std::optional<jobs::InstantRestoreOptions> instant;  // serve the base (pitr/base_restore.h)
};

// What the archive gives for a restore, decided before anything changes.
struct BinlogReplayPlan {
  repo::Snapshot base;
  std::string base_state;   // the base's GTID position
  std::string final_state;  // the position after the last replayed transaction
  size_t transactions = 0;
  // The archived files the transactions come from, in replay order, with the transactions of each.
  using FileReplay = catalog::BinlogFileReplay;
  std::vector<FileReplay> files;
};

struct BinlogRestoreResult {
  BinlogReplayPlan plan;
  uint64_t bytes = 0;                 // of the base backup
  engine::BinlogReplayReport replay;  // which applier replayed the transactions
  double replay_seconds = 0;          // the replay alone (the base restore not included)
  std::optional<jobs::InstantRestoreResult> instant;
};

// Plans (kNotFound: no base before the target; kSafetyStop naming the gap or where the archive
// ends, before anything changes), restores the base like a native restore (the engine's
// refusals), replays, and verifies (kVerifyFailed when the final position is not the target's).
// `binlogs` is the target engine's capability (pitr/binlog/binlog_kind.h hands it over). Takes a
// shared repository lock.
core::Result<BinlogRestoreResult> RestoreBinlogsToPoint(const engine::ClusterHandle& target,
                                                        repo::Repository& repo,
                                                        engine::BinlogArchiving& binlogs,
                                                        const BinlogRestoreOptions& options);

// After a plain or instant native restore of `cluster` from snapshot `snapshot_id` (full hex ID;
// "" when unknown) back to `state` (the backup's GTID position), before the restored primary takes
// a write: records the rewind in the cluster's binlog archive, stamped in the archive's order and
// naming the restored base (BinlogRewind::base), unless the archive holds nothing of the cluster.
// Under the restore's repository lock.
core::Status RecordNativeRestoreRewind(repo::Repository& repo, const platform::Cluster& cluster,
                                       const std::string& state, const std::string& snapshot_id);

}  // namespace hasteward::pitr
