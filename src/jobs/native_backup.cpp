#include "jobs/native_backup.h"

#include <vector>

#include "core/failpoint.h"
#include "core/log.h"
#include "engine/native_restore_steps.h"
#include "jobs/discard_gate.h"
#include "jobs/native_tree_supply.h"
#include "jobs/operator_native_restore.h"
#include "repo/backup/snapshot_writer.h"

namespace hasteward::jobs {

namespace {

constexpr size_t kReadBuffer = size_t{1} << 20;

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

core::Status AddMember(repo::SnapshotWriter& writer, engine::NativeBackupStream& stream,
                       const engine::NativeMember& member, const std::string& path,
                       std::vector<uint8_t>& buffer) {
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
  for (;;) {
    HS_ASSIGN_OR_RETURN(size_t n, stream.ReadContent(buffer));
    if (n == 0) {
      break;
    }
    HS_TRY(writer.Append(core::ByteView(buffer.data(), n)));
  }
  return writer.FinishFile().status();
}

core::Status StoreMembers(repo::SnapshotWriter& writer, engine::NativeBackupStream& stream,
                          const std::string& root) {
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
    HS_TRY(AddMember(writer, stream, *member, root + "/" + member->entry.path, buffer));
  }
}

}  // namespace

std::string NativeDataPath(const platform::Cluster& cluster) {
  return cluster.ns + "/" + cluster.name + "/data";
}

std::string NativeTreePathOf(const engine::ClusterHandle& target, const repo::Snapshot& snapshot) {
  return snapshot.paths.empty() ? NativeDataPath(target.cluster()) : snapshot.paths.front();
}

bool IsNativeSnapshot(const repo::Snapshot& snapshot) {
  return snapshot.TagValue("method") == "native";
}

std::map<std::string, std::string> SnapshotFacts(const repo::Snapshot& snapshot) {
  std::map<std::string, std::string> facts;
  for (const auto& tag : snapshot.tags) {
    auto eq = tag.find('=');
    if (eq != std::string::npos) {
      facts[tag.substr(0, eq)] = tag.substr(eq + 1);
    }
  }
  return facts;
}

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
  HS_ASSIGN_OR_RETURN(auto stream, native->OpenNativeBackup(platform, cluster, plan, block_size));
  const std::string root = NativeDataPath(cluster);
  core::Status stored = StoreMembers(**writer, *stream, root);
  if (!stored.ok()) {
    (*writer)->Abort();
    return stored.Wrap(what);
  }
  NativeBackupResult result;
  result.plan = plan;
  result.path = "/" + root;
  result.facts = stream->metadata();
  repo::CommitOptions commit;
  commit.tags = SnapshotTags(cluster, options.cluster.type, options.cluster.job);
  commit.tags.emplace_back("method=native");
  commit.tags.push_back("source_instance=" + plan.source.name);
  for (const auto& [key, value] : result.facts) {
    commit.tags.push_back(key);
    commit.tags.back().append("=").append(value);
  }
  commit.time = options.cluster.job_start;
  commit.hostname = cluster.ns + "-" + cluster.name;
  commit.paths = {result.path};
  auto summary = (*writer)->Commit(commit);
  if (!summary.ok()) {
    return summary.TakeStatus().Wrap(what);
  }
  result.summary = *summary;
  return result;
}

core::Status RefuseRemoteDataDirectories(platform::Platform& platform,
                                         const platform::Cluster& cluster) {
  for (const platform::Instance& instance : cluster.instances) {
    HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, instance));
    if (!handle->capabilities().Has(platform::Capability::kLocalFilesystem)) {
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
           .reaches = options.reaches.empty() ? SnapshotFacts(snapshot) : options.reaches,
           .reaches_text = options.reaches.empty() ? name : "the restore's end from " + name,
           .confirm_rewind = options.confirm_rewind,
           .unfinished = result.unfinished,
           .stamp = options.heal.stamp,
           .log = options.heal.log}));
  engine::NativeRestoreOptions gated = options;
  gated.heal.keep_replaced = gated.heal.keep_replaced || gate.keep_replaced;
  result.captured = std::move(gate.captured);
  return gated;
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
  result.captured = gate.captured;
  return gated;
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
  std::map<std::string, std::string> facts = SnapshotFacts(snapshot);
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
  HS_TRY(supply.BeforeFinish(result.plan));
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
