#include "jobs/native_tree_supply.h"

#include <filesystem>
#include <optional>
#include <system_error>

#include "core/subprocess.h"
#include "engine/repair_exec.h"
#include "repo/restore/file_dumper.h"
#include "repo/restore/tar_dumper.h"
#include "repo/restore/tree_restorer.h"

namespace hasteward::jobs {

namespace {

// A backup manifest lists every file of the data directory in about 200 bytes; this bound is
// millions of files, and stops a damaged size from reading an unbounded file into memory.
constexpr uint64_t kMaxManifestBytes = uint64_t{1} << 30;

// $1 the staging directory (MakeStagingDirectory made it, empty, mode 0700). Run as the
// instance's OS user, tar gives the files that user and the modes the archive records (-p); the
// flush stands in for the local restore's syncfs: the server started on the tree must find it on
// disk after a crash.
constexpr char kUntar[] = "set -e; cd -- \"$1\"; tar -x -p -f -; sync -f .";

// $1 the staging directory.
constexpr char kRemoveStaging[] = "rm -rf -- \"$1\"";

constexpr char kNotTouched[] =
    "the instance's data directory was not touched; fix the cause and retry";

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

// After the whole tree was written: the checksum check's end (every listed file seen) and the
// engine's own check of the staging directory.
core::Status CheckStaged(const engine::ClusterHandle& target, engine::NativeBackup& native,
                         engine::RestoredTreeCheck* check, NativeRestoreResult& result) {
  if (check != nullptr) {
    HS_TRY(check->Finish());
    result.plan.checksums_checked = true;
  }
  return native.CheckRestoredTree(target.platform(), target.cluster(), result.plan);
}

// A failed write of the tree: the check's own message and hint say what differs; anything else
// says where it failed and that nothing was touched.
core::Status WriteFailed(core::Status failed, const std::string& what) {
  if (failed.code() == core::ErrorCode::kVerifyFailed) {
    return failed;
  }
  return failed.Wrap(what).WithHint(kNotTouched);
}

// The files are on this machine: the tree restored from the repository into the staging
// directory, several files at once.
class LocalStaging : public NativeTreeSupply {
 public:
  explicit LocalStaging(repo::Repository& repo) : repo_(repo) {}

  core::Status Stage(const engine::ClusterHandle& target, engine::NativeBackup& native,
                     const repo::Snapshot& snapshot, NativeRestoreResult& result) override {
    core::Status staged = RestoreIntoStaging(target, native, snapshot, result);
    if (!staged.ok()) {
      Abandon(result.plan);
    }
    return staged;
  }
  core::Status BeforeFinish(engine::NativeRestorePlan& /*plan*/) override {
    return core::Status::Ok();
  }
  // A tree left half-written is removed here, by this process: its directories belong to whoever
  // runs hasteward until the restore's last step sets their owners, so the instance's OS user,
  // which clears the staging directory before the next restore, could not remove them.
  void Abandon(const engine::NativeRestorePlan& plan) override {
    std::error_code ignored;
    std::filesystem::remove_all(plan.staging_dir, ignored);
  }

 private:
  core::Status RestoreIntoStaging(const engine::ClusterHandle& target, engine::NativeBackup& native,
                                  const repo::Snapshot& snapshot, NativeRestoreResult& result) {
    repo::TreeRestoreOptions tree_options;
    tree_options.restore_owner = result.plan.restore_owner;
    // The server started on the tree reads what it needs; keeping every restored page cached
    // made the restore of a 1.5 GB data directory take 3.7 to 5.7 s instead of 3.1
    // (docs/native-backups.md).
    tree_options.drop_written_pages = true;
    const std::string tree = NativeTreePathOf(target, snapshot);
    HS_ASSIGN_OR_RETURN(std::unique_ptr<engine::RestoredTreeCheck> check,
                        ChecksumCheckFor(native, repo_, snapshot, tree));
    if (check != nullptr) {
      tree_options.file_check = [&check](const std::string& relative_path) {
        return check->OpenFile(relative_path);
      };
    }
    auto restored = repo::RestoreTree(repo_, snapshot, tree, result.plan.staging_dir, tree_options);
    if (!restored.ok()) {
      return WriteFailed(restored.TakeStatus(), "restore the snapshot's data directory into '" +
                                                    result.plan.staging_dir + "'");
    }
    result.bytes = restored->bytes;
    result.files = restored->files;
    return CheckStaged(target, native, check.get(), result);
  }

  repo::Repository& repo_;
};

// The files are where the instance lives (a pod): the tree streamed as one tar archive into
// `tar -x` run there through the instance's Exec, each file checked as it passes.
class StreamedStaging : public NativeTreeSupply {
 public:
  explicit StreamedStaging(repo::Repository& repo) : repo_(repo) {}

  core::Status Stage(const engine::ClusterHandle& target, engine::NativeBackup& native,
                     const repo::Snapshot& snapshot, NativeRestoreResult& result) override {
    platform_ = &target.platform();
    cluster_ = target.cluster();
    const std::string tree = NativeTreePathOf(target, snapshot);
    HS_ASSIGN_OR_RETURN(std::unique_ptr<engine::RestoredTreeCheck> check,
                        ChecksumCheckFor(native, repo_, snapshot, tree));
    core::Status staged = StreamInto(snapshot, tree, check.get(), result);
    if (staged.ok()) {
      staged = CheckStaged(target, native, check.get(), result);
    }
    if (!staged.ok()) {
      Abandon(result.plan);
    }
    return staged;
  }
  core::Status BeforeFinish(engine::NativeRestorePlan& /*plan*/) override {
    return core::Status::Ok();
  }
  // Removed where it is, by the instance's OS user, which wrote every file of it.
  void Abandon(const engine::NativeRestorePlan& plan) override {
    if (platform_ == nullptr) {
      return;
    }
    (void)engine::RunScript(*platform_, cluster_, plan.target,
                            {.what = "remove the staging directory",
                             .text = kRemoveStaging,
                             .args = {plan.staging_dir}});
  }

 private:
  core::Status StreamInto(const repo::Snapshot& snapshot, const std::string& tree,
                          engine::RestoredTreeCheck* check, NativeRestoreResult& result) {
    const engine::NativeRestorePlan& plan = result.plan;
    const std::string what = "stream the snapshot's data directory into '" + plan.staging_dir +
                             "' on '" + plan.target.name + "'";
    HS_ASSIGN_OR_RETURN(repo::Node dir, repo::FindNode(repo_, snapshot, tree));
    if (dir.type != "dir" || !dir.subtree) {
      return core::NotFound("'" + tree + "' is not a directory in the snapshot",
                            "restore a native snapshot of this cluster");
    }
    HS_ASSIGN_OR_RETURN(auto handle, platform_->OpenInstance(cluster_, plan.target));
    core::SubprocessOptions untar;
    untar.argv = {"sh", "-c", kUntar, "hasteward-untar", plan.staging_dir};
    untar.stdin_mode = core::StdioMode::kPipe;
    untar.stdout_mode = core::StdioMode::kNull;
    untar.helper = true;
    auto started = handle->Exec(untar);
    if (!started.ok()) {
      return WriteFailed(started.TakeStatus(), what);
    }
    core::ProcessSink sink(std::move(started).value());
    repo::TarFileCheck file_check;
    if (check != nullptr) {
      file_check = [check](const std::string& path) {
        return check->OpenFile(path);
      };
    }
    auto dumped =
        repo::DumpTreeAsTar(repo_, *dir.subtree, "", sink, repo::DumpOptions{}, file_check);
    // After a failed dump too: tar then reads a cut archive, fails, and the staging directory is
    // removed by the caller.
    core::Status closed = sink.Close();
    if (!dumped.ok()) {
      return WriteFailed(dumped.TakeStatus(), what);
    }
    if (!closed.ok()) {
      return WriteFailed(closed, what);
    }
    result.bytes = dumped->content_bytes;
    result.files = dumped->files;
    return core::Status::Ok();
  }

  repo::Repository& repo_;
  platform::Platform* platform_ = nullptr;
  platform::Cluster cluster_;
};

// The choice made when the plan names the target.
class PlanTargetSupply : public NativeTreeSupply {
 public:
  explicit PlanTargetSupply(repo::Repository& repo) : repo_(repo) {}

  core::Status Stage(const engine::ClusterHandle& target, engine::NativeBackup& native,
                     const repo::Snapshot& snapshot, NativeRestoreResult& result) override {
    HS_ASSIGN_OR_RETURN(auto handle,
                        target.platform().OpenInstance(target.cluster(), result.plan.target));
    chosen_ = TreeSupplyFor(*handle, repo_);
    return chosen_->Stage(target, native, snapshot, result);
  }
  core::Status BeforeFinish(engine::NativeRestorePlan& plan) override {
    return chosen_ ? chosen_->BeforeFinish(plan) : core::Status::Ok();
  }
  void Abandon(const engine::NativeRestorePlan& plan) override {
    if (chosen_) {
      chosen_->Abandon(plan);
    }
  }

 private:
  repo::Repository& repo_;
  std::unique_ptr<NativeTreeSupply> chosen_;
};

}  // namespace

std::unique_ptr<NativeTreeSupply> TreeSupplyFor(const platform::InstanceHandle& target,
                                                repo::Repository& repo) {
  // Why by capability: where the restore may write the instance's files itself, it restores
  // several files at once and drops their pages as it goes; elsewhere only a command run where
  // the instance lives can write them.
  if (target.capabilities().Has(platform::Capability::kLocalFilesystem)) {
    return std::make_unique<LocalStaging>(repo);
  }
  return std::make_unique<StreamedStaging>(repo);
}

std::unique_ptr<NativeTreeSupply> TreeSupplyForPlanTarget(repo::Repository& repo) {
  return std::make_unique<PlanTargetSupply>(repo);
}

}  // namespace hasteward::jobs
