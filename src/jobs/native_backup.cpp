#include "jobs/native_backup.h"

#include <filesystem>
#include <system_error>
#include <vector>

#include "core/failpoint.h"
#include "core/log.h"
#include "engine/native_restore_steps.h"
#include "jobs/discard_gate.h"
#include "repo/backup/snapshot_writer.h"
#include "repo/restore/file_dumper.h"
#include "repo/restore/tree_restorer.h"

namespace hasteward::jobs {

namespace {

constexpr size_t kReadBuffer = size_t{1} << 20;
// A backup manifest lists every file of the data directory in about 200 bytes; this bound is
// millions of files, and stops a damaged size from reading an unbounded file into memory.
constexpr uint64_t kMaxManifestBytes = uint64_t{1} << 30;

// The engine's check of each restored file against the checksum manifest the snapshot's tree
// holds (`tree`/<name>), or nullptr when the engine keeps none or the snapshot lacks it (then the
// engine's CheckRestoredTree reads the tree back instead).
core::Result<std::unique_ptr<engine::RestoredTreeCheck>> ChecksumCheckFor(
    engine::NativeBackup& native, repo::Repository& repo, const repo::Snapshot& snapshot,
    const std::string& tree) {
  std::string name = native.ChecksumManifestName();
  if (name.empty()) {
    return std::unique_ptr<engine::RestoredTreeCheck>();
  }
  auto node = repo::FindFileNode(repo, snapshot, tree + "/" + name);
  if (!node.ok()) {
    if (node.status().code() == core::ErrorCode::kNotFound) {
      return std::unique_ptr<engine::RestoredTreeCheck>();
    }
    return node.TakeStatus().Wrap("find the snapshot's '" + name + "'");
  }
  if (node->size > kMaxManifestBytes) {
    return core::Status(core::ErrorCode::kVerifyFailed,
                        "the snapshot's '" + name + "' claims " + std::to_string(node->size) +
                            " bytes, more than any backup manifest",
                        "check the repository ('hasteward repo check --read-data') and restore "
                        "another snapshot");
  }
  core::MemorySink manifest;
  auto read = repo::DumpFile(repo, *node, manifest, repo::DumpOptions{});
  if (!read.ok()) {
    return read.TakeStatus().Wrap("read the snapshot's '" + name + "'");
  }
  return native.MakeRestoredTreeCheck(core::AsString(manifest.data()));
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

// A tree left half-written is removed here, by this process: its directories belong to whoever
// runs hasteward until the restore's last step sets their owners, so the instance's OS user, which
// clears the staging directory before the next restore, could not remove them.
void RemoveStaging(const engine::NativeRestorePlan& plan) {
  std::error_code ignored;
  std::filesystem::remove_all(plan.staging_dir, ignored);
}

// The snapshot's tree into result.plan.staging_dir, checked against its checksums (while written)
// and by the engine (CheckRestoredTree); records its size in `result`. On failure the staging
// directory is removed and the instance's data directory was not touched.
core::Status RestoreIntoStaging(const engine::ClusterHandle& target, engine::NativeBackup& native,
                                repo::Repository& repo, const repo::Snapshot& snapshot,
                                NativeRestoreResult& result) {
  repo::TreeRestoreOptions tree_options;
  tree_options.restore_owner = result.plan.restore_owner;
  // The server started on the tree reads what it needs; keeping every restored page cached made
  // the restore of a 1.5 GB data directory take 3.7 to 5.7 s instead of 3.1
  // (docs/native-backups.md).
  tree_options.drop_written_pages = true;
  // The snapshot names where it keeps the data directory (a verification restores another
  // cluster's snapshot into its scratch cluster).
  std::string tree =
      snapshot.paths.empty() ? NativeDataPath(target.cluster()) : snapshot.paths.front();
  HS_ASSIGN_OR_RETURN(std::unique_ptr<engine::RestoredTreeCheck> check,
                      ChecksumCheckFor(native, repo, snapshot, tree));
  if (check != nullptr) {
    tree_options.file_check = [&check](const std::string& relative_path) {
      return check->OpenFile(relative_path);
    };
  }
  auto restored = repo::RestoreTree(repo, snapshot, tree, result.plan.staging_dir, tree_options);
  if (!restored.ok()) {
    RemoveStaging(result.plan);
    core::Status failed = restored.TakeStatus();
    if (failed.code() == core::ErrorCode::kVerifyFailed) {
      return failed;  // the check's own message and hint say what differs and what to do
    }
    return failed
        .Wrap("restore the snapshot's data directory into '" + result.plan.staging_dir + "'")
        .WithHint("the instance's data directory was not touched; fix the cause and retry");
  }
  if (check != nullptr) {
    core::Status checked = check->Finish();
    if (!checked.ok()) {
      RemoveStaging(result.plan);
      return checked;
    }
    result.plan.checksums_checked = true;
  }
  result.bytes = restored->bytes;
  result.files = restored->files;
  core::Status verified =
      native.CheckRestoredTree(target.platform(), target.cluster(), result.plan);
  if (!verified.ok())
    RemoveStaging(result.plan);
  return verified;
}

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

// The usual supply: the tree restored from the repository into the staging directory.
class StagingRestore : public NativeTreeSupply {
 public:
  explicit StagingRestore(repo::Repository& repo) : repo_(repo) {}
  core::Status Stage(const engine::ClusterHandle& target, engine::NativeBackup& native,
                     const repo::Snapshot& snapshot, NativeRestoreResult& result) override {
    return RestoreIntoStaging(target, native, repo_, snapshot, result);
  }
  core::Status BeforeFinish(engine::NativeRestorePlan& /*plan*/) override {
    return core::Status::Ok();
  }
  void Abandon(const engine::NativeRestorePlan& plan) override { RemoveStaging(plan); }

 private:
  repo::Repository& repo_;
};

}  // namespace

core::Result<NativeRestoreResult> RestoreNativeSnapshot(
    const engine::ClusterHandle& target, repo::Repository& repo, const repo::Snapshot& snapshot,
    const engine::NativeRestoreOptions& options) {
  StagingRestore supply(repo);
  return RestoreNativeSnapshotWith(target, repo, snapshot, options, supply);
}

core::Result<NativeRestoreResult> RestoreNativeSnapshotWith(
    const engine::ClusterHandle& target, repo::Repository& repo, const repo::Snapshot& snapshot,
    const engine::NativeRestoreOptions& options, NativeTreeSupply& supply) {
  platform::Platform& platform = target.platform();
  const platform::Cluster& cluster = target.cluster();
  engine::NativeBackup* native = target.engine().native_backup();
  if (native == nullptr) {
    return engine::Unsupported(target.engine(), "native restores");
  }
  std::map<std::string, std::string> facts = SnapshotFacts(snapshot);
  HS_TRY(RefuseRemoteDataDirectories(platform, cluster));
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
  auto gated = PassDiscardGate(target, *native, repo, snapshot, options, result);
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

}  // namespace hasteward::jobs
