// jobs/instant_layers: the directories and mounts of one instant restore, beside the instance's
// data directory in "<data dir>.hasteward-instant/": `lower` (the snapshot's data directory
// served read-only by this process through FUSE), `upper` and `work` (the overlay's writable
// layer), `merged` (where the overlay is mounted; the data directory is a symlink to it while
// the instance runs on it), `copy` (the hydrated local copy of the lower layer).
// See jobs/instant_restore.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "jobs/snapshot_mount.h"
#include "platform/cluster.h"
#include "repo/mount/snapshot_tree.h"
#include "repo/repository.h"

namespace hasteward::jobs {

class InstantLayers {
 public:
  // `tree_path`: the snapshot's data directory; `instance`: whose data directory it serves.
  InstantLayers(repo::Repository& repo, const repo::Snapshot& snapshot, std::string tree_path,
                platform::Instance instance, uint64_t cache_bytes);
  // Unmounts the lower layer (the overlay too, unless KeepOverlayMounted).
  ~InstantLayers();
  InstantLayers(const InstantLayers&) = delete;
  InstantLayers& operator=(const InstantLayers&) = delete;

  std::string dir() const;
  std::string upper() const { return dir() + "/upper"; }
  std::string copy() const { return dir() + "/copy"; }
  std::string merged() const { return dir() + "/merged"; }
  const std::string& tree_path() const { return tree_path_; }

  // Creates the directories (keeping an existing upper layer: a rerun's writes are in it); the
  // upper directory is the overlay root's owner and mode, so it gets the instance's OS user and
  // 0700 (PostgreSQL refuses another data directory mode).
  core::Status Create();
  // Mounts the snapshot at `lower` with allow_other (the database's OS user reads through it),
  // after detaching a mount a killed run left there. Served until StopLower or destruction.
  core::Status ServeLower();
  // The overlay of lower, upper and work mounted at merged().
  core::Status MountMerged() const;
  // The instance runs on the overlay: from now on StopLower and the destructor leave it mounted
  // (its upper layer keeps taking the instance's writes; a rerun serves the lower layer again).
  void KeepOverlayMounted() { keep_overlay_ = true; }
  // Unmounts the overlay (when mounted, unless KeepOverlayMounted) and the lower layer; the
  // summary of reads that failed.
  core::Result<SnapshotMountSummary> StopLower();
  // Removes the directory with everything in it (after the merge the upper layer is empty).
  core::Status Remove();

 private:
  repo::Repository& repo_;
  const repo::Snapshot& snapshot_;
  std::string tree_path_;
  platform::Instance instance_;
  uint64_t cache_bytes_;
  std::unique_ptr<repo::SnapshotTree> tree_;
  std::unique_ptr<BackgroundSnapshotMount> mount_;
  bool keep_overlay_ = false;
};

}  // namespace hasteward::jobs
