#include "jobs/instant_layers.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/os_user.h"
#include "jobs/instant_state.h"
#include "jobs/overlay_mount.h"

namespace hasteward::jobs {

namespace {

core::Status MakeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return core::StorageError("create '" + path + "': " + std::strerror(errno));
  }
  return core::Status::Ok();
}

}  // namespace

InstantLayers::InstantLayers(repo::Repository& repo, const repo::Snapshot& snapshot,
                             std::string tree_path, platform::Instance instance,
                             uint64_t cache_bytes)
    : repo_(repo),
      snapshot_(snapshot),
      tree_path_(std::move(tree_path)),
      instance_(std::move(instance)),
      cache_bytes_(cache_bytes) {}

InstantLayers::~InstantLayers() {
  try {
    if (mount_)
      (void)StopLower();
  } catch (...) {
    core::LogWarn("instant restore: unmounting the snapshot failed; 'umount -l' its mountpoint");
  }
}

std::string InstantLayers::dir() const {
  return InstantDirFor(instance_.data_dir);
}

core::Status InstantLayers::Create() {
  HS_TRY(MakeDir(dir(), 0700));
  HS_TRY(MakeDir(dir() + "/lower", 0700));
  HS_TRY(MakeDir(dir() + "/work", 0700));
  HS_TRY(MakeDir(merged(), 0700));
  HS_TRY(MakeDir(upper(), 0700));
  if (core::RunningAsRoot() && !instance_.os_user.empty()) {
    HS_ASSIGN_OR_RETURN(core::OsUser user, core::LookupOsUser(instance_.os_user));
    // The database's user reaches its data directory (a symlink to merged/) through this one.
    for (const std::string& path : {dir(), upper()}) {
      if (::chown(path.c_str(), user.uid, user.gid) != 0)
        return core::StorageError("chown '" + path + "': " + std::strerror(errno));
    }
  }
  if (::chmod(upper().c_str(), 0700) != 0)
    return core::StorageError("chmod '" + upper() + "': " + std::strerror(errno));
  return core::Status::Ok();
}

core::Status InstantLayers::ServeLower() {
  std::string lower = dir() + "/lower";
  // A killed run's FUSE server is gone and its mount answers ENOTCONN: detach it.
  HS_TRY(UnmountIfMounted(lower));
  if (!tree_) {
    HS_ASSIGN_OR_RETURN(tree_, repo::SnapshotTree::Open(repo_, snapshot_, tree_path_));
  }
  SnapshotMountOptions options;
  options.mountpoint = lower;
  options.fs_name = "hasteward:" + repo::IdToHex(snapshot_.id).substr(0, 8);
  options.cache.budget_bytes = cache_bytes_;
  // The database runs as its own OS user and reads the lower files through the overlay.
  options.allow_other = true;
  HS_ASSIGN_OR_RETURN(mount_, BackgroundSnapshotMount::Start(repo_, *tree_, options));
  return core::Status::Ok();
}

core::Status InstantLayers::MountMerged() const {
  HS_TRY(UnmountIfMounted(merged()));
  return MountOverlay({.lower = dir() + "/lower", .upper = upper(), .work = dir() + "/work"},
                      merged());
}

core::Result<SnapshotMountSummary> InstantLayers::StopLower() {
  if (!mount_)
    return SnapshotMountSummary{};
  // The overlay first: it holds the lower mount, whose unmount would otherwise wait for it. Not
  // under a running instance: its data directory would become the empty mountpoint, and what it
  // wrote there no rerun would see (the lower mount is then detached lazily under the overlay).
  if (!keep_overlay_)
    HS_TRY(UnmountIfMounted(merged()));
  auto summary = mount_->Stop();
  mount_.reset();
  if (summary.ok() && summary->read_errors > 0) {
    core::LogWarn("instant restore: " + std::to_string(summary->read_errors) +
                  " reads of the snapshot mount failed and were answered with an i/o error; run "
                  "'hasteward repo check --read-data'");
  }
  return summary;
}

core::Status InstantLayers::Remove() {
  HS_TRY(UnmountIfMounted(merged()));
  HS_TRY(UnmountIfMounted(dir() + "/lower"));
  std::error_code ec;
  std::filesystem::remove_all(dir(), ec);
  if (ec)
    return core::StorageError("remove '" + dir() + "': " + ec.message());
  return core::Status::Ok();
}

}  // namespace hasteward::jobs
