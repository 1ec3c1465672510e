#include "jobs/instant_restore.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "catalog/base_backup_record.h"
#include "core/atomic_file.h"
#include "core/clock.h"
#include "core/failpoint.h"
#include "core/log.h"
#include "core/os_user.h"
#include "engine/native_restore_steps.h"
#include "jobs/discard_gate.h"
#include "jobs/errno_path.h"
#include "jobs/hydration_space.h"
#include "jobs/instant_layers.h"
#include "jobs/instant_state.h"
#include "jobs/overlay_mount.h"
#include "repo/restore/tree_restorer.h"

namespace hasteward::jobs {

namespace {

namespace fs = std::filesystem;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(core::SystemClock::Get().Monotonic() - start).count();
}

// Whether `path` is a symlink to `target` (the data directory pointing at the overlay).
bool LinksTo(const std::string& path, const std::string& target) {
  std::error_code ec;
  return fs::is_symlink(path, ec) && fs::read_symlink(path, ec) == target && !ec;
}

core::Status RemoveLinkTo(const std::string& path, const std::string& target) {
  if (LinksTo(path, target) && ::unlink(path.c_str()) != 0)
    return PathErrnoStatus("remove the link", path);
  return core::Status::Ok();
}

// The supply of an instant restore: the tree is not restored but served. The overlay is mounted
// at the layers' `merged` directory and the staging directory becomes a symlink to it, so the
// engine checks it there (PostgreSQL's pg_verifybackup, MariaDB's --prepare, whose writes land in
// the upper layer) and its swap moves the symlink into the data directory's place: the engine's
// restore steps run unchanged, and a mountpoint is never renamed (the kernel refuses that).
struct InstantSupplyOptions {
  uint64_t cache_bytes = 0;
  // The served instance is hydrated afterwards (restore --instant, not verify --instant): its
  // copy must fit beside the data directory, and it may take writes from its first start.
  bool hydrates = false;
  // Its first start opens it for writes (no before_writable step, which keeps it closed until
  // its point): kServing is recorded right before that start.
  bool writable_at_start = false;
};

class InstantSupply : public NativeTreeSupply {
 public:
  InstantSupply(repo::Repository& repo, const repo::Snapshot& snapshot, std::string tree_path,
                InstantSupplyOptions options)
      : repo_(repo), snapshot_(snapshot), tree_path_(std::move(tree_path)), options_(options) {}

  core::Status Stage(const engine::ClusterHandle& target, engine::NativeBackup& native,
                     const repo::Snapshot& /*snapshot*/, NativeRestoreResult& result) override {
    // Before anything is mounted or moved: a disk that fills during hydration fills the upper
    // layer the running instance writes to as well.
    if (options_.hydrates) {
      const std::string beside = std::filesystem::path(result.plan.target.data_dir).parent_path();
      HS_TRY(CheckHydrationFits(repo_, snapshot_, tree_path_, beside));
    }
    layers_ = std::make_unique<InstantLayers>(repo_, snapshot_, tree_path_, result.plan.target,
                                              options_.cache_bytes);
    core::Status staged = StageChecked(target, native, result);
    if (!staged.ok())
      Abandon(result.plan);
    return staged;
  }

  core::Status BeforeFinish(engine::NativeRestorePlan& plan) override {
    // Re-cloning the others from an instance that still reads through the mount would copy the
    // whole snapshot through it: they are re-cloned once the instance runs on local disk
    // (Complete).
    plan.rebuild.clear();
    HS_TRY(WriteInstantState(plan.target.data_dir, {.phase = InstantPhase::kStarting,
                                                    .snapshot_id = plan.snapshot_id,
                                                    .instance = plan.target.name}));
    core::Failpoint("instant-restore-starting");
    if (options_.hydrates && options_.writable_at_start) {
      // Why before the start: the instance takes writes from its first start, and a rerun after
      // a kill sets a "starting" attempt aside whole; a kill between the start and a later record
      // would set aside what it committed. After the swap and the configuration, so a rerun that
      // finds "hydrating" only restarts it (ServeAgain).
      plan.before_start = [target = plan.target, id = plan.snapshot_id] {
        HS_TRY(WriteInstantState(
            target.data_dir,
            {.phase = InstantPhase::kServing, .snapshot_id = id, .instance = target.name}));
        core::Failpoint("instant-restore-serving-recorded");
        return core::Status::Ok();
      };
    }
    return core::Status::Ok();
  }

  void Abandon(const engine::NativeRestorePlan& plan) override {
    if (layers_) {
      (void)RemoveLinkTo(plan.staging_dir, layers_->merged());
      (void)layers_->StopLower();
      (void)layers_->Remove();
    }
  }

  std::unique_ptr<InstantLayers> TakeLayers() { return std::move(layers_); }

 private:
  core::Status StageChecked(const engine::ClusterHandle& target, engine::NativeBackup& native,
                            NativeRestoreResult& result) {
    // The overlay takes the data directory's place as a link, which a volume's mount point
    // cannot be renamed for: refused before any layer exists (the empty staging directory inside
    // it is all there is, and the next restore empties it).
    if (result.plan.swap_place == engine::SwapPlace::kInsideDataDir) {
      return core::Usage("an instant restore replaces the data directory of '" +
                             result.plan.target.name + "' with a link, but '" +
                             result.plan.target.data_dir + "' is its volume's mount point",
                         "restore without --instant (the tree is then staged inside the volume)");
    }
    // What a killed earlier attempt left is not this restore's: start from empty layers.
    HS_TRY(layers_->Remove());
    HS_TRY(layers_->Create());
    HS_TRY(layers_->ServeLower());
    HS_TRY(layers_->MountMerged());
    const std::string& staging = result.plan.staging_dir;
    if (::rmdir(staging.c_str()) != 0 && errno != ENOENT)
      return PathErrnoStatus("remove the empty staging directory", staging);
    if (::symlink(layers_->merged().c_str(), staging.c_str()) != 0)
      return PathErrnoStatus("link the overlay at", staging);
    // Every blob read through the mount is checked against its hash, as a restore checks what it
    // writes; pg_verifybackup still checks the manifest, the files' presence and sizes and the WAL.
    result.plan.checksums_checked = true;
    return native.CheckRestoredTree(target.platform(), target.cluster(), result.plan);
  }

  repo::Repository& repo_;
  const repo::Snapshot& snapshot_;
  std::string tree_path_;
  InstantSupplyOptions options_;
  std::unique_ptr<InstantLayers> layers_;
};

core::Status StopIfRunning(platform::Platform& platform, const platform::Cluster& cluster,
                           const platform::Instance& instance) {
  HS_ASSIGN_OR_RETURN(bool running, platform.IsRunning(cluster, instance));
  if (!running)
    return core::Status::Ok();
  return platform.StopInstance(cluster, instance).Wrap("stop '" + instance.name + "'");
}

core::Status StopIfRunning(const engine::ClusterHandle& target,
                           const platform::Instance& instance) {
  return StopIfRunning(target.platform(), target.cluster(), instance);
}

// The restored instance started again after a restart of the instant restore's own, in the role
// the restore gave it (the engine's restart: a MariaDB primary whose configuration says read-only
// as a former replica's would otherwise come back read-only after the pause).
core::Status RestartRestored(const engine::ClusterHandle& target,
                             const platform::Instance& instance, const std::string& why) {
  engine::NativeBackup* native = target.engine().native_backup();
  if (native == nullptr)
    return engine::Unsupported(target.engine(), "native restores");
  return native->RestartRestoredTarget(target.platform(), target.cluster(), instance)
      .Wrap("start '" + instance.name + "' " + why);
}

void Tell(const InstantRestoreOptions& options, InstantEvent event, const std::string& name) {
  if (options.on_event)
    options.on_event(event, name);
}

// A failed hydration stops there and leaves the instance running on its overlay: unmounting the
// overlay under it would turn its data directory into the empty mountpoint, where it would go on
// writing files no rerun sees. The half-written copy is removed (a rerun starts it over anyway),
// which gives the space back to the upper layer on the same disk when the disk ran full.
core::Status HydrationFailed(InstantLayers& layers, const platform::Instance& instance,
                             core::Status failed) {
  layers.KeepOverlayMounted();
  std::error_code ec;
  fs::remove_all(layers.copy(), ec);
  failed.Wrap("hydrate '" + instance.name + "' into '" + layers.copy() + "'");
  if (IsOutOfSpace(failed)) {
    const std::string hint =
        "the disk of '" + layers.copy() +
        "' is full: hydration stopped and its half-written copy was removed; '" + instance.name +
        "' still runs on its overlay (its writes are in '" + layers.upper() +
        "') but reads the rest through the snapshot mount, which ends with this command. Free at "
        "least the snapshot's size there and rerun the same restore: it serves " +
        "the snapshot again and finishes";
    return failed.WithHint(hint);
  }
  return failed.WithHint(
      "the instance runs on the snapshot mount only while this command runs; rerun "
      "the same restore to finish the hydration");
}

// The lower layer copied to local disk (layers.copy()), restored from the repository as a native
// restore restores it. A copy a killed run left half-written is started over.
core::Status Hydrate(InstantLayers& layers, repo::Repository& repo, const repo::Snapshot& snapshot,
                     const platform::Instance& instance, InstantRestoreResult& result) {
  auto start = core::SystemClock::Get().Monotonic();
  std::error_code ec;
  fs::remove_all(layers.copy(), ec);
  if (ec)
    return core::StorageError("remove '" + layers.copy() + "': " + ec.message());
  core::Failpoint("instant-restore-hydrating");
  repo::TreeRestoreOptions tree;
  tree.restore_owner = core::RunningAsRoot() && !instance.os_user.empty();
  tree.drop_written_pages = true;
  auto restored = repo::RestoreTree(repo, snapshot, layers.tree_path(), layers.copy(), tree);
  if (!restored.ok())
    return HydrationFailed(layers, instance, restored.TakeStatus());
  result.hydrated_bytes = restored->bytes;
  result.hydrate_seconds = SecondsSince(start);
  core::Failpoint("instant-restore-hydrated");
  return core::Status::Ok();
}

// Exchanges the data directory (the symlink to the overlay) with the merged copy in one rename,
// then removes the symlink; a rerun after a kill finds the data directory a directory already.
core::Status SwapCopyIn(const std::string& data_dir, const InstantLayers& layers) {
  if (LinksTo(data_dir, layers.merged())) {
    if (!fs::is_directory(layers.copy())) {
      return core::Status(core::ErrorCode::kSafetyStop,
                          "the hydrated copy '" + layers.copy() + "' is missing",
                          "nothing was changed; the instance's writes are in '" + layers.upper() +
                              "' and the snapshot is whole: restore it again");
    }
    if (::syscall(SYS_renameat2, AT_FDCWD, layers.copy().c_str(), AT_FDCWD, data_dir.c_str(),
                  RENAME_EXCHANGE) != 0) {
      return PathErrnoStatus("exchange the hydrated copy with", data_dir);
    }
  }
  return RemoveLinkTo(layers.copy(), layers.merged());
}

const platform::Instance* InstanceNamed(const platform::Cluster& cluster, const std::string& name) {
  for (const auto& candidate : cluster.instances) {
    if (candidate.name == name)
      return &candidate;
  }
  return nullptr;
}

// The pause: the instance stopped, its overlay unmounted, the upper layer applied to the copy, the
// copy swapped in as the data directory, the instance started. Recorded first, so a rerun after a
// kill in the middle finishes it (each step can be run again).
core::Status MoveToLocalDisk(const engine::ClusterHandle& target, InstantLayers& layers,
                             const InstantState& state, InstantRestoreResult& result) {
  const platform::Instance* instance = InstanceNamed(target.cluster(), state.instance);
  if (instance == nullptr) {
    return core::NotFound(
        "instance '" + state.instance + "' of the instant restore is not in the inventory any more",
        "put it back and rerun the restore");
  }
  InstantState merging = state;
  merging.phase = InstantPhase::kMerging;
  HS_TRY(WriteInstantState(instance->data_dir, merging));
  auto start = core::SystemClock::Get().Monotonic();
  HS_TRY(StopIfRunning(target, *instance));
  HS_TRY(UnmountIfMounted(layers.merged()));
  core::Failpoint("instant-restore-merging");
  HS_TRY(MergeOverlayUpper(layers.upper(), layers.copy()));
  // The merge's renames and the files they moved on disk before the exchange makes the copy the
  // data directory, and the exchange on disk before the record that says "merging" goes away.
  HS_TRY(SyncFilesystemOf(layers.copy()));
  HS_TRY(SwapCopyIn(instance->data_dir, layers));
  HS_TRY(core::FsyncDir(fs::path(instance->data_dir).parent_path()));
  HS_TRY(core::FsyncDir(layers.dir()));
  core::Failpoint("instant-restore-swapped");
  HS_TRY(RestartRestored(target, *instance, "on its local data directory"));
  result.pause_seconds = SecondsSince(start);
  HS_TRY(layers.StopLower().status());
  return layers.Remove();
}

struct InProgress {
  platform::Instance instance;
  InstantState state;
};

// The instance whose data directory has an instant restore in progress (a killed run's).
core::Result<std::optional<InProgress>> FindInProgress(const platform::Cluster& cluster) {
  for (const auto& instance : cluster.instances) {
    if (instance.data_dir.empty())
      continue;
    HS_ASSIGN_OR_RETURN(std::optional<InstantState> state, ReadInstantState(instance.data_dir));
    if (state)
      return std::optional<InProgress>(InProgress{instance, *state});
  }
  return std::optional<InProgress>();
}

// What every step of one run works on.
struct RunContext {
  const engine::ClusterHandle& target;
  repo::Repository& repo;
  const repo::Snapshot& snapshot;
  const InstantRestoreOptions& options;
};

// The discard gate on a fresh read of `other`, right before its re-clone: the gate before the
// start read it hours ago, and a rerun did not run that gate at all. Judged against what the
// snapshot reaches, as that gate was: data past it that the restored instance did not give it
// is another branch of history. The heal options with the data directory kept when the gate
// (now or then) kept data.
core::Result<engine::HealOptions> GateReclone(const RunContext& run,
                                              const platform::Instance& other, bool kept_before,
                                              InstantRestoreResult& result) {
  engine::NativeBackup* native = run.target.engine().native_backup();
  if (native == nullptr)
    return engine::Unsupported(run.target.engine(), "native restores");
  const engine::NativeRestoreOptions& options = run.options.native;
  const std::string name = "snapshot " + repo::IdToHex(run.snapshot.id).substr(0, 8);
  auto gate = GateDiscard(
      run.target, *native, run.repo,
      {.stays_stopped = {},  // nothing stays stopped: the step only re-clones
       .recloned = {other},
       .reaches = options.reaches.empty() ? catalog::TagFacts(run.snapshot.tags) : options.reaches,
       .reaches_text = options.reaches.empty() ? name : "the restore's end from " + name,
       .confirm_rewind = options.confirm_rewind,
       .unfinished = {},
       .stamp = options.heal.stamp,
       .log = options.heal.log});
  if (!gate.ok()) {
    core::Status refused = gate.TakeStatus();
    if (refused.code() == core::ErrorCode::kNewerData) {
      // The restore itself is done (the record is gone): a rerun would restore again.
      refused.WithHint("the restored instance runs on its local data directory; '" + other.name +
                       "' was not replaced. Save what it holds, then re-clone it with "
                       "'hasteward repair' (do not rerun the restore: it would restore again)");
    }
    return refused;
  }
  engine::HealOptions heal = options.heal;
  heal.keep_replaced = heal.keep_replaced || kept_before || gate->keep_replaced;
  result.captured.insert(result.captured.end(), gate->captured.begin(), gate->captured.end());
  return heal;
}

// Every other instance of the cluster re-cloned from the restored one, now on local disk.
core::Status RecloneOthers(const RunContext& run, const InProgress& restored,
                           InstantRestoreResult& result) {
  for (const auto& other : run.target.cluster().instances) {
    if (other.name == restored.instance.name)
      continue;
    HS_ASSIGN_OR_RETURN(engine::HealOptions heal,
                        GateReclone(run, other, restored.state.keep_replaced, result));
    HS_TRY(run.target.engine()
               .HealInstance(run.target.platform(), run.target.cluster(), other, restored.instance,
                             heal)
               .Wrap("re-clone '" + other.name + "' from the restored '" + restored.instance.name +
                     "'"));
  }
  return core::Status::Ok();
}

// Hydration, the pause, then the other instances re-cloned from the restored one.
core::Status Complete(const RunContext& run, InstantLayers& layers, const InProgress& restored,
                      InstantRestoreResult& result) {
  HS_TRY(Hydrate(layers, run.repo, run.snapshot, restored.instance, result));
  Tell(run.options, InstantEvent::kHydrated, restored.instance.name);
  HS_TRY(MoveToLocalDisk(run.target, layers, restored.state, result));
  Tell(run.options, InstantEvent::kLocal, restored.instance.name);
  return RecloneOthers(run, restored, result);
}

// A run killed while the instance was being started: the attempt is put aside whole (its upper
// layer kept, named in the log) and the restore starts over. The data directory the swap moved
// aside is kept where that run's log named it.
core::Status SetAsideStarting(const engine::ClusterHandle& target, const InProgress& found,
                              const std::string& stamp) {
  const std::string& data_dir = found.instance.data_dir;
  const std::string dir = InstantDirFor(data_dir);
  HS_TRY(StopIfRunning(target, found.instance));
  HS_TRY(UnmountIfMounted(dir + "/merged"));
  HS_TRY(UnmountIfMounted(dir + "/lower"));
  HS_TRY(RemoveLinkTo(data_dir, dir + "/merged"));
  HS_TRY(RemoveLinkTo(data_dir + ".hasteward-restore", dir + "/merged"));
  std::string kept = dir + "-abandoned-" + stamp;
  if (::rename(dir.c_str(), kept.c_str()) != 0)
    return PathErrnoStatus("move", dir);
  core::LogWarn("an instant restore of '" + found.instance.name +
                "' was killed while starting; its layers are kept at '" + kept +
                "' and the restore starts over");
  return core::Status::Ok();
}

// A run killed while the instance ran on the overlay: its FUSE server died with it, so the
// instance is stopped, the snapshot served again, the overlay (with every write in its upper
// layer) mounted again and the instance restarted on it.
core::Status ServeAgain(const engine::ClusterHandle& target, InstantLayers& layers,
                        const InProgress& found) {
  const std::string& data_dir = found.instance.data_dir;
  HS_TRY(StopIfRunning(target, found.instance));
  HS_TRY(UnmountIfMounted(layers.merged()));
  if (!LinksTo(data_dir, layers.merged())) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "the data directory '" + data_dir +
                            "' is not the link to its instant restore's overlay that the record "
                            "says it is",
                        "nothing was changed; compare it with '" + layers.upper() +
                            "' (the writes made on the overlay) and move one of them aside");
  }
  HS_TRY(layers.Create());
  HS_TRY(layers.ServeLower());
  HS_TRY(layers.MountMerged());
  return RestartRestored(target, found.instance, "on its instant-restore overlay again");
}

core::Result<InstantRestoreResult> Resume(const engine::ClusterHandle& target,
                                          repo::Repository& repo, const repo::Snapshot& snapshot,
                                          const InProgress& found,
                                          const InstantRestoreOptions& options) {
  InstantRestoreResult result;
  result.instance = found.instance.name;
  result.resumed = true;
  InstantLayers layers(repo, snapshot, NativeTreePathOf(target, snapshot), found.instance,
                       options.cache_bytes);
  core::LogInfo("finishing the instant restore of '" + found.instance.name + "' (" +
                InstantPhaseName(found.state.phase) + ")");
  if (found.state.phase == InstantPhase::kMerging) {
    HS_TRY(MoveToLocalDisk(target, layers, found.state, result));
    Tell(options, InstantEvent::kLocal, found.instance.name);
    return result;
  }
  HS_TRY(ServeAgain(target, layers, found));
  layers.KeepOverlayMounted();
  // A run killed after the start and before the native restore's end left its unfinished-restore
  // record ("hydrating" is recorded before the start): this run finishes that restore.
  HS_TRY(engine::ClearUnfinishedRestores(target.platform(), target.cluster()));
  Tell(options, InstantEvent::kWritable, found.instance.name);
  HS_TRY(Complete({target, repo, snapshot, options}, layers, found, result));
  return result;
}

// The caller's step before writes (InstantRestoreOptions::before_writable). The record still says
// kStarting, so after a failure or a kill the rerun sets this attempt aside and starts over; the
// instance is stopped first, as its snapshot mount goes away with this run.
core::Status BringToItsPoint(const engine::ClusterHandle& target,
                             const platform::Instance& instance,
                             const InstantRestoreOptions& options) {
  if (!options.before_writable)
    return core::Status::Ok();
  core::Status brought = options.before_writable(instance);
  if (!brought.ok())
    (void)StopIfRunning(target, instance);
  return brought;
}

core::Result<InstantRestoreResult> Fresh(const engine::ClusterHandle& target,
                                         repo::Repository& repo, const repo::Snapshot& snapshot,
                                         const InstantRestoreOptions& options) {
  auto start = core::SystemClock::Get().Monotonic();
  InstantSupply supply(repo, snapshot, NativeTreePathOf(target, snapshot),
                       {.cache_bytes = options.cache_bytes,
                        .hydrates = true,
                        .writable_at_start = !options.before_writable});
  HS_ASSIGN_OR_RETURN(NativeRestoreResult restored,
                      RestoreNativeSnapshotWith(target, repo, snapshot, options.native, supply));
  std::unique_ptr<InstantLayers> layers = supply.TakeLayers();
  HS_TRY(BringToItsPoint(target, restored.plan.target, options));
  // Recorded again with the gate's answer (before_start recorded the phase alone, unless a step
  // before writes kept it "starting" until now).
  InProgress serving{restored.plan.target,
                     {.phase = InstantPhase::kServing,
                      .snapshot_id = repo::IdToHex(snapshot.id),
                      .instance = restored.plan.target.name,
                      .keep_replaced = restored.keep_replaced}};
  HS_TRY(WriteInstantState(serving.instance.data_dir, serving.state));
  layers->KeepOverlayMounted();
  InstantRestoreResult result;
  result.instance = serving.instance.name;
  result.captured = restored.captured;
  result.writable_seconds = SecondsSince(start);
  Tell(options, InstantEvent::kWritable, serving.instance.name);
  core::Failpoint("instant-restore-serving");
  HS_TRY(Complete({target, repo, snapshot, options}, *layers, serving, result));
  return result;
}

class ServedInstance final : public InstantServing {
 public:
  ServedInstance(const engine::ClusterHandle& target, platform::Instance instance,
                 std::unique_ptr<InstantLayers> layers)
      : platform_(target.platform()),
        cluster_(target.cluster()),
        instance_(std::move(instance)),
        layers_(std::move(layers)) {}
  ~ServedInstance() override {
    try {
      (void)CloseNow();
    } catch (...) {
      core::LogWarn("verify: closing the instant restore's overlay failed");
    }
  }

  core::Status Close() override { return CloseNow(); }

 private:
  core::Status CloseNow() {
    if (!layers_)
      return core::Status::Ok();
    core::Status stopped = StopIfRunning(platform_, cluster_, instance_);
    (void)layers_->StopLower();
    core::Status removed = layers_->Remove();
    core::Status unlinked = RemoveLinkTo(instance_.data_dir, layers_->merged());
    layers_.reset();
    HS_TRY(stopped);
    HS_TRY(removed);
    return unlinked;
  }

  platform::Platform& platform_;
  platform::Cluster cluster_;
  platform::Instance instance_;
  std::unique_ptr<InstantLayers> layers_;
};

}  // namespace

core::Result<std::unique_ptr<InstantServing>> ServeNativeInstant(
    const engine::ClusterHandle& target, repo::Repository& repo, const repo::Snapshot& snapshot,
    const InstantRestoreOptions& options) {
  HS_TRY(RefuseRemoteDataDirectories(target.platform(), target.cluster()));
  InstantSupply supply(repo, snapshot, NativeTreePathOf(target, snapshot),
                       {.cache_bytes = options.cache_bytes});
  HS_ASSIGN_OR_RETURN(NativeRestoreResult restored,
                      RestoreNativeSnapshotWith(target, repo, snapshot, options.native, supply));
  return std::unique_ptr<InstantServing>(
      new ServedInstance(target, restored.plan.target, supply.TakeLayers()));
}

core::Result<InstantRestoreResult> RestoreNativeInstant(const engine::ClusterHandle& target,
                                                        repo::Repository& repo,
                                                        const repo::Snapshot& snapshot,
                                                        const InstantRestoreOptions& options) {
  HS_TRY(RefuseRemoteDataDirectories(target.platform(), target.cluster()));
  HS_ASSIGN_OR_RETURN(std::optional<InProgress> found, FindInProgress(target.cluster()));
  if (found && found->state.snapshot_id != repo::IdToHex(snapshot.id)) {
    return core::Usage(
        "an instant restore of snapshot " + found->state.snapshot_id.substr(0, 8) + " into '" +
            found->instance.name + "' is not finished",
        "rerun with --snapshot " + found->state.snapshot_id.substr(0, 8) + " to finish it");
  }
  if (found && !options.native.confirm_overwrite) {
    return core::Status(
        core::ErrorCode::kConfirmationRequired,
        "finishing the instant restore of '" + found->instance.name + "' restarts it",
        "pass --yes");
  }
  if (found && found->state.phase == InstantPhase::kStarting) {
    HS_TRY(SetAsideStarting(target, *found, options.native.heal.stamp));
    found.reset();
  }
  if (found)
    return Resume(target, repo, snapshot, *found, options);
  return Fresh(target, repo, snapshot, options);
}

}  // namespace hasteward::jobs
