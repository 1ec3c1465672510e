// pitr/wal/wal_supply: how the archived WAL a point-in-time restore replays reaches the server that
// replays it (and the time target's proof, which reads the same files the same way), chosen once
// by what the platform can do with the target, like jobs/native_tree_supply.h does for the base:
// where the instance's files are on this machine (kLocalFilesystem), the server's restore_command
// stays `hasteward wal-fetch`, served by the restore's fetch server (wal_fetch_server.h); where
// they are not (a pod), the files the plan needs are streamed from the repository ahead of the
// replay, as one tar into `tar -x` run in the target's pod through its exec, into a directory
// beside its data directory, each checked against its archived size and SHA-256 as it passes,
// and restore_command copies from there (`$PWD.hasteward-wal`: the server runs it in its data
// directory, so the command names no path of the pod's). A file the directory lacks fails the copy,
// which the server takes for "not archived": what it is. A replay to the end of the archive (a DR
// activation) also reads the receiver's streamed tail (segments not archived whole): wal-fetch
// serves those itself, the streamed directory gets them as files, zero-filled past their durable
// end as PostgreSQL leaves a partial segment.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "catalog/wal/wal_catalog.h"
#include "core/status.h"
#include "engine/cluster_handle.h"
#include "engine/native_backup.h"
#include "pitr/wal/wal_plan.h"
#include "repo/repository.h"

namespace hasteward::pitr {

class WalSupply {
 public:
  virtual ~WalSupply() = default;
  // The instance the time target's proof reads archived segments on (through ReadCommand).
  virtual const platform::Instance& ReadingInstance() const = 0;
  // The restore_command the replaying server fetches with (run in its data directory).
  virtual std::string RestoreCommand() const = 0;
  // The same fetch as a command run anywhere on ReadingInstance (the proofs' reads, through its
  // exec, whose working directory is not the data directory).
  virtual std::string ReadCommand() const = 0;
  // Right before the base replaces `replaying`'s data directory: kSafetyStop when that is not the
  // instance the supply serves (the engine's plan chose another since), nothing changed yet.
  virtual core::Status CheckReplaying(const platform::Instance& replaying) const = 0;
  // Makes `files` fetchable through RestoreCommand(); files already supplied are skipped.
  // kVerifyFailed naming a file whose archived bytes differ from its recorded size or SHA-256.
  virtual core::Status Provide(const std::vector<const catalog::ArchivedFile*>& files) = 0;
  // Makes the streamed tail's `segments` (ReplayedStreamedSegments) fetchable the same way.
  virtual core::Status ProvideStreamed(const std::vector<engine::ArchiveFile>& segments) = 0;
  // After recovery reached the target: stops serving or removes what the supply made. The
  // destructor does the same (best effort) when a restore fails before.
  virtual void Finish() = 0;
};

// What the supply is chosen and made for.
struct WalSupplyRequest {
  const engine::ClusterHandle* target = nullptr;       // the cluster restored into
  repo::Repository* repo = nullptr;                    // index loaded, shared lock held
  const platform::Cluster* archive_cluster = nullptr;  // whose archive is replayed
  const engine::Archiving* archiving = nullptr;
  const catalog::WalCatalog* catalog = nullptr;
  // The restore_command the options carry (hasteward wal-fetch): asked for by the supply that
  // serves a server on this machine only.
  std::function<core::Result<std::string>()> configured_command;
  // The restore's own options and the base's facts: a streamed supply asks the engine's plan which
  // instance the base is restored into (the one that replays), with its refusals, before
  // streaming anything there.
  engine::NativeRestoreOptions native;
  const repo::Snapshot* base = nullptr;
};

// The supply for a restore into request.target. Where the WAL must be streamed: the engine plan's
// refusals.
core::Result<std::unique_ptr<WalSupply>> WalSupplyFor(const WalSupplyRequest& request);

// The archived files replay from `plan.base` to the plan's last segment reads: the history files
// of the path's timelines up to the one replay follows, then the segments along the path in replay
// order, from the base's first to the plan's last.
std::vector<const catalog::ArchivedFile*> ReplayedFiles(const PointPlan& plan,
                                                        const catalog::WalCatalog& catalog,
                                                        const engine::Archiving& archiving);

// The segments of the receiver's streamed tail replay to the end of the archive reads (PlanPoint's
// `streamed` extension): on the plan's last timeline, up to its last segment, not archived whole.
std::vector<engine::ArchiveFile> ReplayedStreamedSegments(
    const PointPlan& plan, const catalog::WalCatalog& catalog, const engine::Archiving& archiving,
    const std::set<std::pair<uint32_t, uint64_t>>& streamed);

}  // namespace hasteward::pitr
