#include "jobs/native_backup.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "catalog/base_backup_record.h"
#include "catalog/wal/archive_segment_source.h"
#include "catalog/wal/wal_bases.h"
#include "core/failpoint.h"
#include "core/log.h"
#include "engine/native_restore_steps.h"
#include "jobs/discard_gate.h"
#include "jobs/native_parent.h"
#include "jobs/native_tree_supply.h"
#include "jobs/operator_native_restore.h"
#include "repo/backup/snapshot_writer.h"

namespace hasteward::jobs {

namespace {

constexpr size_t kReadBuffer = size_t{1} << 20;
// Files of which an incremental backup read at least this many whole blocks are logged.
constexpr uint64_t kLoggedReadBlocks = 4;

// Whether this backup may read only what changed since a parent, and which parent.
struct IncrementalPlan {
  bool enabled = false;                // the engine and platform allow it: the tags say how it read
  std::optional<NativeParent> parent;  // set: the engine reads the data directory itself
  std::string why_full;                // a FullReadReason name when there is no parent
};

// After the writer's Open: it loaded the blob index the parent's tree is read through.
core::Result<IncrementalPlan> PlanIncremental(const engine::ClusterHandle& target,
                                              repo::Repository& repo,
                                              const engine::BackupPlan& plan, size_t block_size,
                                              const NativeBackupOptions& options) {
  IncrementalPlan out;
  engine::NativeBackup* native = target.engine().native_backup();
  if (!native->SupportsIncremental()) {
    return out;
  }
  HS_ASSIGN_OR_RETURN(bool local,
                      DataDirectoryIsLocal(target.platform(), target.cluster(), plan.source));
  if (!local) {
    return out;  // a pod's data directory: the base backup protocol, as before
  }
  out.enabled = true;
  HS_ASSIGN_OR_RETURN(
      out.parent, ChooseNativeParent(repo, target.cluster(),
                                     {block_size, options.full, options.full_every}, out.why_full));
  if (out.parent) {
    core::LogInfo("incremental native backup: parent snapshot " +
                  repo::IdToHex(out.parent->snapshot.id).substr(0, 8));
  } else {
    core::LogInfo("native backup reads everything: " + out.why_full);
  }
  return out;
}

// The parent's stored files, whole, for the engine's proof that the parent lies on the live
// history (its WAL against the server's).
engine::ParentFileReader ParentFiles(repo::Repository& repo, const NativeParent& parent) {
  return [&repo, &parent](const std::string& path) -> core::Result<std::optional<std::string>> {
    auto it = parent.files.find(path);
    if (it == parent.files.end()) {
      return std::optional<std::string>();
    }
    std::string out;
    for (const repo::Id& id : it->second.content) {
      HS_ASSIGN_OR_RETURN(core::Bytes blob, repo.LoadBlob(id, repo::BlobType::kData));
      out.append(reinterpret_cast<const char*>(blob.data()), blob.size());
    }
    return std::optional<std::string>(std::move(out));
  };
}

// The tags that say how the backup read: parent, read, reason, bytes_read, changed_blocks, the
// block size a later backup's parent must share, and the run of incremental reads.
void RecordIncrementalFacts(const IncrementalPlan& incremental,
                            const engine::NativeBackupStream& stream, size_t block_size,
                            NativeBackupResult& result) {
  auto& facts = result.facts;
  facts["block_size"] = std::to_string(block_size);
  facts["bytes_read"] = std::to_string(stream.bytes_read());
  if (!incremental.parent) {
    facts["read"] = "full";
    facts["reason"] = incremental.why_full;
  }
  if (incremental.parent && facts["read"] == "incremental") {
    facts["parent"] = repo::IdToHex(incremental.parent->snapshot.id);
    facts[kIncrementalRunTag] = std::to_string(incremental.parent->run + 1);
  } else {
    facts[kIncrementalRunTag] = "0";
  }
}

// The facts become the catalogue's record, and its tags the snapshot's: a fact the catalogue
// could not read back is never stored.
core::Result<catalog::BaseBackupRecord> RecordOfBackup(
    const std::map<std::string, std::string>& facts, const engine::BackupPlan& plan) {
  HS_ASSIGN_OR_RETURN(catalog::BaseBackupRecord record, catalog::RecordOfFacts(facts));
  record.native = true;
  record.source_instance = plan.source.name;
  return record;
}

repo::NodeAttributes AttributesOf(const core::TarEntry& entry) {
  repo::NodeAttributes attributes;
  attributes.permissions = entry.mode;
  attributes.mtime = repo::LocalTimeFromUnix(entry.mtime, 0);
  attributes.uid = entry.uid;
  attributes.gid = entry.gid;
  attributes.user = entry.user;
  attributes.group = entry.group;
  return attributes;
}

// How many of `count` pages from `first` may differ from the parent's copy.
uint64_t PagesThatMayDiffer(const engine::NativeMember& member, uint64_t first, uint64_t count) {
  uint64_t n = 0;
  for (uint64_t page = first; page < first + count; ++page) {
    n += member.page_may_differ(page) ? 1 : 0;
  }
  return n;
}

// Reads exactly `n` bytes of the current member into the writer (fewer only at its end).
core::Status CopyContent(repo::SnapshotWriter& writer, engine::NativeBackupStream& stream,
                         std::vector<uint8_t>& buffer, uint64_t n) {
  while (n > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(n, buffer.size()));
    HS_ASSIGN_OR_RETURN(size_t got, stream.ReadContent(std::span<uint8_t>(buffer.data(), want)));
    if (got == 0) {
      return core::Status::Ok();
    }
    HS_TRY(writer.Append(core::ByteView(buffer.data(), got)));
    n -= got;
  }
  return core::Status::Ok();
}

// Reuse where it is safe to: the parent's block i stands for this file's when it is a whole block
// inside the parent's copy and no page of it may have changed since the parent's start (the
// engine's page_may_differ); a block with a few such pages is the parent's with those pages read
// over it. Everything else is read. Why the tree is then consistent: a page changed after this
// backup's start gets a full-page image at its first change after the start checkpoint, so the
// replay from start_lsn rewrites it whatever version the tree holds; a page changed in
// [parent's start, this start) is named by that WAL and read again; a page named by neither
// held the same content through both backups, so the parent's copy is it.
struct BlockReuse {
  repo::Repository* repo = nullptr;
  const ParentFile* parent = nullptr;
  size_t page_size = 0;
  uint64_t* reused = nullptr;
};

// A block with few changed pages: the parent's block, loaded from the repository, with only the
// pages that may differ read from the file over it, so the database is read about as much as it
// changed. False (nothing consumed) when the parent's blob cannot be loaded whole.
core::Result<bool> PatchBlock(repo::SnapshotWriter& writer, engine::NativeBackupStream& stream,
                              const engine::NativeMember& member, const BlockReuse& reuse,
                              uint64_t index) {
  const uint64_t block = member.block_size;
  const uint64_t pages = block / reuse.page_size;
  auto base = reuse.repo->LoadBlob(reuse.parent->content[index], repo::BlobType::kData);
  if (!base.ok() || base->size() != block) {
    return false;
  }
  uint64_t kept = 0;
  for (uint64_t page = 0; page < pages; ++page) {
    if (!member.page_may_differ(index * pages + page)) {
      HS_TRY(stream.SkipContent(reuse.page_size));
      ++kept;
      continue;
    }
    uint8_t* at = base->data() + page * reuse.page_size;
    for (size_t got = 0; got < reuse.page_size;) {
      HS_ASSIGN_OR_RETURN(size_t n,
                          stream.ReadContent(std::span<uint8_t>(at + got, reuse.page_size - got)));
      if (n == 0) {
        return core::Internal("the file ended inside a block it was listed to hold");
      }
      got += n;
    }
  }
  HS_TRY(writer.Append(core::ByteView(base->data(), base->size())));
  *reuse.reused += kept * reuse.page_size;
  return true;
}

// Whether the parent's stored blob (read from its pack, compressed) plus the changed pages is
// less to read than the whole block from the file: the block is patched then.
bool PatchingReadsLess(const BlockReuse& reuse, uint64_t index, uint64_t changed, uint64_t block) {
  std::optional<repo::BlobLocation> stored =
      reuse.repo->blobs().Lookup(reuse.parent->content[index], repo::BlobType::kData);
  return stored && stored->blob.length + changed * reuse.page_size < block;
}

core::Status AddMember(repo::SnapshotWriter& writer, engine::NativeBackupStream& stream,
                       const engine::NativeMember& member, const std::string& path,
                       std::vector<uint8_t>& buffer, const BlockReuse& reuse) {
  repo::NodeAttributes attributes = AttributesOf(member.entry);
  switch (member.entry.type) {
    case core::TarEntryType::kDirectory: return writer.AddDirectory(path, attributes);
    case core::TarEntryType::kSymlink:
      return writer.AddSymlink(path, member.entry.link_target, attributes);
    case core::TarEntryType::kFile: break;
  }
  repo::Chunking chunking = member.block_size > 0 ? repo::Chunking::FixedSize(member.block_size)
                                                  : repo::Chunking::ContentDefined();
  HS_TRY(writer.BeginFile(path, attributes, chunking));
  if (member.page_may_differ && reuse.parent != nullptr && member.block_size > 0) {
    const uint64_t block = member.block_size;
    const uint64_t pages = block / reuse.page_size;
    uint64_t read_blocks = 0;
    for (uint64_t offset = 0; offset + block <= member.entry.size; offset += block) {
      uint64_t index = offset / block;
      bool in_parent = offset + block <= reuse.parent->size && index < reuse.parent->content.size();
      uint64_t changed = in_parent ? PagesThatMayDiffer(member, index * pages, pages) : pages;
      if (changed == 0) {
        core::Status stored = writer.AppendStoredBlob(reuse.parent->content[index], block);
        if (stored.ok()) {
          HS_TRY(stream.SkipContent(block));
          *reuse.reused += block;
          continue;
        }
        if (stored.code() != core::ErrorCode::kUsage) {
          return stored;
        }
        // The parent's blob is gone from the index (a prune) or of another size: read the block.
      } else if (in_parent && PatchingReadsLess(reuse, index, changed, block)) {
        HS_ASSIGN_OR_RETURN(bool patched, PatchBlock(writer, stream, member, reuse, index));
        if (patched) {
          continue;
        }
      }
      HS_TRY(CopyContent(writer, stream, buffer, block));
      ++read_blocks;
    }
    // The last, shorter block: the parent's when the parent's file ended at the same place
    // (AppendStoredBlob checks the blob's length) and none of its pages may have changed.
    const uint64_t whole = member.entry.size / block * block;
    const uint64_t tail = member.entry.size - whole;
    const uint64_t index = whole / block;
    if (tail > 0 && tail % reuse.page_size == 0 && index < reuse.parent->content.size() &&
        reuse.parent->size == member.entry.size &&
        PagesThatMayDiffer(member, index * pages, tail / reuse.page_size) == 0) {
      core::Status stored = writer.AppendStoredBlob(reuse.parent->content[index], tail);
      if (stored.ok()) {
        HS_TRY(stream.SkipContent(tail));
        *reuse.reused += tail;
      } else if (stored.code() != core::ErrorCode::kUsage) {
        return stored;
      }
    }
    // What an incremental read could not avoid, per file, for whoever wonders why it read much.
    if (read_blocks >= kLoggedReadBlocks) {
      core::LogInfo("read " + std::to_string(read_blocks) + " of " +
                    std::to_string(member.entry.size / block) + " whole blocks of " +
                    member.entry.path);
    }
  }
  HS_TRY(CopyContent(writer, stream, buffer, UINT64_MAX));
  return writer.FinishFile().status();
}

// `blocks` carries the repository, page size and reuse counter; each member gets its parent file.
core::Status StoreMembers(repo::SnapshotWriter& writer, engine::NativeBackupStream& stream,
                          const std::string& root, const NativeParent* parent,
                          const BlockReuse& blocks) {
  std::vector<uint8_t> buffer(kReadBuffer);
  bool have_root = false;
  for (;;) {
    HS_ASSIGN_OR_RETURN(auto member, stream.Next());
    if (!member) {
      return core::Status::Ok();
    }
    if (member->entry.path.empty() || member->entry.path == ".") {
      continue;  // the archive's own root is `root`
    }
    if (!have_root) {
      // The data directory itself is not a member: it gets its files' owner (a restore as root
      // must give the server its directory) and the mode PostgreSQL insists on.
      repo::NodeAttributes root_attributes = AttributesOf(member->entry);
      root_attributes.permissions = 0700;
      HS_TRY(writer.AddDirectory(root, root_attributes));
      have_root = true;
    }
    BlockReuse reuse = blocks;
    reuse.parent = nullptr;
    if (parent != nullptr) {
      auto it = parent->files.find(member->entry.path);
      reuse.parent = it == parent->files.end() ? nullptr : &it->second;
    }
    HS_TRY(AddMember(writer, stream, *member, root + "/" + member->entry.path, buffer, reuse));
  }
}

}  // namespace

std::string NativeDataPath(const platform::Cluster& cluster) {
  return cluster.ns + "/" + cluster.name + "/data";
}

std::string NativeTreePathOf(const engine::ClusterHandle& target, const repo::Snapshot& snapshot) {
  return snapshot.paths.empty() ? NativeDataPath(target.cluster()) : snapshot.paths.front();
}

namespace {

// The archive keeps a record of each base beside the snapshots (the WAL archive index,
// catalog/wal/wal_bases.h), so `pitr status` need not read every snapshot. The backup is complete
// either way: a base the record missed is shown once the index is next rebuilt (docs/pitr.md "The
// archive index"), and a restore lists the bases from the snapshots.
void RecordBase(const engine::ClusterHandle& target, repo::Repository& repo,
                const repo::Id& snapshot) {
  core::Status recorded =
      catalog::RecordBaseBackup(repo, target.cluster(), target.engine().archiving(), snapshot);
  if (!recorded.ok()) {
    core::LogWarn(
        "the base backup is not in the archive index; pitr status shows it after the "
        "index is rebuilt",
        {{"error", recorded.message()}});
  }
}

// Commits the stored tree with the record's tags, then records the base in the archive index.
core::Status CommitNative(repo::SnapshotWriter& writer, const engine::ClusterHandle& target,
                          repo::Repository& repo, const NativeBackupOptions& options,
                          NativeBackupResult& result) {
  const platform::Cluster& cluster = target.cluster();
  repo::CommitOptions commit;
  commit.tags = SnapshotTags(cluster, options.cluster.type, options.cluster.job);
  for (std::string& tag : catalog::EncodeTags(result.record)) {
    commit.tags.push_back(std::move(tag));
  }
  commit.time = options.cluster.job_start;
  commit.hostname = cluster.ns + "-" + cluster.name;
  commit.paths = {result.path};
  HS_ASSIGN_OR_RETURN(result.summary, writer.Commit(commit));
  RecordBase(target, repo, result.summary.snapshot_id);
  return core::Status::Ok();
}

}  // namespace

core::Result<NativeBackupResult> BackupClusterNative(const engine::ClusterHandle& target,
                                                     repo::Repository& repo,
                                                     const NativeBackupOptions& options) {
  platform::Platform& platform = target.platform();
  const platform::Cluster& cluster = target.cluster();
  engine::NativeBackup* native = target.engine().native_backup();
  if (native == nullptr) {
    return engine::Unsupported(target.engine(), "native backups (--method native)");
  }
  HS_ASSIGN_OR_RETURN(engine::BackupPlan plan, native->PlanNativeBackup(platform, cluster));
  core::LogInfo("native backup source: " + plan.reason,
                {{"cluster", target.QualifiedName()}, {"instance", plan.source.name}});
  std::string what =
      "native backup of '" + target.QualifiedName() + "' from '" + plan.source.name + "'";
  repo::SnapshotWriterOptions writer_options;
  writer_options.compression =
      options.cluster.compression.WithAutomaticLevel(native->DefaultCompressionLevel());
  writer_options.threads = options.threads;
  writer_options.lock_wait = options.cluster.lock_wait;
  writer_options.progress = options.cluster.progress;
  // The lock first, then the base backup: a backup held back while we wait for the repository
  // would pin WAL on the server all that time.
  auto writer = repo::SnapshotWriter::Open(repo, writer_options);
  if (!writer.ok()) {
    return writer.TakeStatus().Wrap(what);
  }
  size_t block_size = options.block_size > 0 ? options.block_size : native->DefaultBlockSize();
  HS_ASSIGN_OR_RETURN(IncrementalPlan incremental,
                      PlanIncremental(target, repo, plan, block_size, options));
  // The WAL since an incremental backup's parent is read from the instance's pg_wal, else from
  // the cluster's archive in this repository (none for an engine without a WAL archive).
  std::unique_ptr<engine::WalSegmentSource> wal_archive =
      catalog::ArchiveSegmentSource(repo, cluster, target.engine().archiving());
  auto stream = incremental.parent ? native->OpenIncrementalNativeBackup(
                                         platform, cluster, plan, block_size,
                                         {incremental.parent->facts, wal_archive.get(),
                                          ParentFiles(repo, *incremental.parent)})
                                   : native->OpenNativeBackup(platform, cluster, plan, block_size);
  if (!stream.ok()) {
    (*writer)->Abort();
    return stream.TakeStatus().Wrap(what);
  }
  const std::string root = NativeDataPath(cluster);
  NativeBackupResult result;
  const BlockReuse blocks{&repo, nullptr, native->PageSize(), &result.reused_bytes};
  core::Status stored = StoreMembers(**writer, **stream, root,
                                     incremental.parent ? &*incremental.parent : nullptr, blocks);
  if (!stored.ok()) {
    (*writer)->Abort();
    return stored.Wrap(what);
  }
  result.plan = plan;
  result.path = "/" + root;
  result.facts = (*stream)->metadata();
  if (incremental.enabled) {
    RecordIncrementalFacts(incremental, **stream, block_size, result);
  }
  auto record = RecordOfBackup(result.facts, plan);
  if (!record.ok()) {
    (*writer)->Abort();
    return record.TakeStatus().Wrap(what);
  }
  result.record = std::move(*record);
  core::Status committed = CommitNative(**writer, target, repo, options, result);
  if (!committed.ok()) {
    return committed.Wrap(what);
  }
  return result;
}

core::Result<bool> DataDirectoryIsLocal(platform::Platform& platform,
                                        const platform::Cluster& cluster,
                                        const platform::Instance& instance) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, instance));
  return handle->capabilities().Has(platform::Capability::kLocalFilesystem);
}

core::Status CheckNativeRestorable(const engine::ClusterHandle& target) {
  engine::NativeBackup* native = target.engine().native_backup();
  if (native == nullptr) {
    return engine::Unsupported(target.engine(), "native restores");
  }
  return native->CheckRestorable(target.platform(), target.cluster());
}

core::Status RefuseRemoteDataDirectories(platform::Platform& platform,
                                         const platform::Cluster& cluster) {
  for (const platform::Instance& instance : cluster.instances) {
    HS_ASSIGN_OR_RETURN(bool local, DataDirectoryIsLocal(platform, cluster, instance));
    if (!local) {
      return core::Usage("the data directory of '" + instance.name +
                             "' is not on this machine, where a native restore writes the tree",
                         "run the native restore where the files are: `hasteward --platform "
                         "local` on the node that mounts the instance's volume, or `restic "
                         "restore` the snapshot into an empty data directory there (MariaDB: "
                         "then `mariadb-backup --prepare --target-dir` it) and start the server "
                         "on it (docs/native-backups.md); or restore a logical backup");
    }
  }
  return core::Status::Ok();
}

namespace {

// The discard gate (jobs/discard_gate.h) for the plan in `result`: the options FinishNativeRestore
// runs with (keeping replaced data directories when the gate kept newer data), and the captures
// recorded in `result`.
core::Result<engine::NativeRestoreOptions> PassDiscardGate(
    const engine::ClusterHandle& target, engine::NativeBackup& native, repo::Repository& repo,
    const repo::Snapshot& snapshot, const engine::NativeRestoreOptions& options,
    NativeRestoreResult& result) {
  const std::string name = "snapshot " + repo::IdToHex(snapshot.id).substr(0, 8);
  HS_ASSIGN_OR_RETURN(
      DiscardGateResult gate,
      GateDiscard(
          target, native, repo,
          {.stays_stopped = result.plan.target,
           .recloned = result.plan.rebuild,
           .reaches = options.reaches.empty() ? catalog::TagFacts(snapshot.tags) : options.reaches,
           .reaches_text = options.reaches.empty() ? name : "the restore's end from " + name,
           .confirm_rewind = options.confirm_rewind,
           .unfinished = result.unfinished,
           .stamp = options.heal.stamp,
           .log = options.heal.log}));
  engine::NativeRestoreOptions gated = options;
  gated.heal.keep_replaced = gated.heal.keep_replaced || gate.keep_replaced;
  result.keep_replaced = gated.heal.keep_replaced;
  result.captured = std::move(gate.captured);
  return gated;
}

// The newest timeline the repository's snapshots of `system` recorded (catalog).
core::Result<uint32_t> NewestRecordedTimeline(repo::Repository& repo, const std::string& system) {
  if (system.empty()) {
    return uint32_t{0};
  }
  HS_ASSIGN_OR_RETURN(std::vector<repo::Snapshot> snapshots, repo.ListSnapshots());
  return catalog::NewestRecordedTimeline(snapshots, system);
}

}  // namespace

core::Result<NativeRestoreResult> RestoreNativeSnapshot(
    const engine::ClusterHandle& target, repo::Repository& repo, const repo::Snapshot& snapshot,
    const engine::NativeRestoreOptions& options) {
  std::unique_ptr<NativeTreeSupply> supply = TreeSupplyForPlanTarget(repo);
  return RestoreNativeSnapshotWith(target, repo, snapshot, options, *supply);
}

namespace {

// The gate that ran before the instances were stopped, applied as PassDiscardGate applies its own:
// an unfinished restore's output is kept like newer data.
engine::NativeRestoreOptions ApplyGate(const engine::NativeRestoreOptions& options,
                                       const DiscardGateResult& gate, NativeRestoreResult& result) {
  engine::NativeRestoreOptions gated = options;
  gated.heal.keep_replaced =
      gated.heal.keep_replaced || gate.keep_replaced || !result.unfinished.empty();
  result.keep_replaced = gated.heal.keep_replaced;
  result.captured = gate.captured;
  return gated;
}

// A snapshot with a GTID position (MariaDB): the highest domain the cluster's snapshots name, so
// the restore's new history starts above it (NativeRestoreOptions::newest_taken_gtid_domain).
// Read after the gate, whose diverged captures count too.
core::Status AddNewestGtidDomain(repo::Repository& repo, const platform::Cluster& cluster,
                                 const std::map<std::string, std::string>& facts,
                                 engine::NativeRestoreOptions& options) {
  if (options.newest_taken_gtid_domain || !facts.count("gtid_position"))
    return core::Status::Ok();
  HS_ASSIGN_OR_RETURN(auto snapshots, ClusterSnapshots(repo, cluster, {}));
  options.newest_taken_gtid_domain = catalog::NewestGtidDomain(snapshots);
  return core::Status::Ok();
}

// The caller's record of the rewind (NativeRestoreOptions::before_first_write) runs after the
// supply's own step before the first start (an instant restore's "serving" record), with the
// backup's facts and the restored snapshot's ID.
void ChainBeforeFirstWrite(const engine::NativeRestoreOptions& options,
                           std::map<std::string, std::string> facts, const std::string& snapshot_id,
                           engine::NativeRestorePlan* plan) {
  if (!options.before_first_write || options.into_another_cluster) {
    return;
  }
  facts[engine::kRestoredSnapshotFact] = snapshot_id;
  plan->before_start = [first = plan->before_start, record = options.before_first_write,
                        facts = std::move(facts)] {
    if (first) {
      HS_TRY(first());
    }
    return record(facts);
  };
}

// RestoreNativeSnapshotWith, with the discard gate run here (`gated_before` null) or before.
core::Result<NativeRestoreResult> RestoreNative(const engine::ClusterHandle& target,
                                                repo::Repository& repo,
                                                const repo::Snapshot& snapshot,
                                                const engine::NativeRestoreOptions& options,
                                                NativeTreeSupply& supply,
                                                const DiscardGateResult* gated_before) {
  platform::Platform& platform = target.platform();
  const platform::Cluster& cluster = target.cluster();
  engine::NativeBackup* native = target.engine().native_backup();
  if (native == nullptr) {
    return engine::Unsupported(target.engine(), "native restores");
  }
  std::map<std::string, std::string> facts = catalog::TagFacts(snapshot.tags);
  HS_ASSIGN_OR_RETURN(uint32_t newest_taken_timeline,
                      NewestRecordedTimeline(repo, facts["system_identifier"]));
  NativeRestoreResult result;
  const std::string snapshot_id = repo::IdToHex(snapshot.id);
  // A rerun after a kill: the instances the killed run left holding its output start over. Not
  // before the overwrite is confirmed: the plan then refuses, and nothing may have been stopped.
  if (options.confirm_overwrite) {
    HS_ASSIGN_OR_RETURN(result.unfinished,
                        engine::StopUnfinishedRestores(platform, cluster, snapshot_id));
  }
  HS_ASSIGN_OR_RETURN(result.plan, native->PlanNativeRestore(platform, cluster, facts, options));
  result.plan.snapshot_id = snapshot_id;
  // Read where the target lives, not in the plan (a preview must start nothing): a volume mounted
  // at the data directory itself cannot be renamed, so the swap happens inside it.
  HS_TRY(engine::ChooseSwapPlace(platform, cluster, result.plan));
  core::LogInfo("restoring native snapshot " + repo::IdToHex(snapshot.id).substr(0, 8) + " into " +
                result.plan.reason);
  HS_TRY(native->PrepareNativeRestore(platform, cluster, result.plan));
  // The kill points of a native restore (docs/restore.md, "Killed mid-restore"): each one after a
  // step whose result a rerun must either redo or find in place.
  core::Failpoint("native-restore-prepared");
  HS_TRY(supply.Stage(target, *native, snapshot, result));
  core::Failpoint("native-restore-tree");
  // Right before the first change, on a fresh read: nothing newer than what the restore brings is
  // discarded unless the user consented (then it is kept).
  auto gated =
      gated_before != nullptr
          ? core::Result<engine::NativeRestoreOptions>(ApplyGate(options, *gated_before, result))
          : PassDiscardGate(target, *native, repo, snapshot, options, result);
  if (!gated.ok()) {
    supply.Abandon(result.plan);
    return gated.TakeStatus();
  }
  core::Failpoint("native-restore-gated");
  gated->newest_taken_timeline = newest_taken_timeline;
  HS_TRY(AddNewestGtidDomain(repo, cluster, facts, *gated));
  HS_TRY(supply.BeforeFinish(result.plan));
  ChainBeforeFirstWrite(*gated, facts, snapshot_id, &result.plan);
  HS_TRY(native->FinishNativeRestore(platform, cluster, result.plan, *gated));
  if (!options.caller_finishes) {
    HS_TRY(engine::ClearUnfinishedRestores(platform, cluster));
  }
  return result;
}

}  // namespace

core::Result<NativeRestoreResult> RestoreNativeSnapshotWith(
    const engine::ClusterHandle& target, repo::Repository& repo, const repo::Snapshot& snapshot,
    const engine::NativeRestoreOptions& options, NativeTreeSupply& supply) {
  return RestoreNative(target, repo, snapshot, options, supply, nullptr);
}

core::Result<NativeRestoreResult> RestoreNativeSnapshotGated(
    const engine::ClusterHandle& target, repo::Repository& repo, const repo::Snapshot& snapshot,
    const engine::NativeRestoreOptions& options, NativeTreeSupply& supply,
    const DiscardGateResult& gate) {
  return RestoreNative(target, repo, snapshot, options, supply, &gate);
}

}  // namespace hasteward::jobs
