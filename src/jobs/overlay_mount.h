// jobs/overlay_mount: the overlay file system an instant restore runs a database on (a writable
// upper directory on local disk over the read-only snapshot mount), and merging what the database
// wrote there into a local copy of the lower layer. Linux overlayfs; mounting needs root.
#pragma once

#include <string>

#include "core/status.h"

namespace hasteward::jobs {

struct OverlayLayers {
  std::string lower;  // read-only (the snapshot's FUSE mount)
  std::string upper;  // writable, on the same file system as `work`
  std::string work;   // overlayfs' scratch directory
};

// Mounts the overlay of `layers` at `target` (an existing directory). Renamed directories are
// copied up whole and no file is copied up as metadata only (redirect_dir=off, metacopy=off),
// so the upper directory alone holds every change in the plain form MergeOverlayUpper reads.
// kStorage naming the kernel's refusal.
core::Status MountOverlay(const OverlayLayers& layers, const std::string& target);

// Unmounts `path` when it is a mountpoint (lazily: a file still open keeps the old mount alive
// for its holder only). OK when nothing is mounted there.
core::Status UnmountIfMounted(const std::string& path);

// Applies the upper directory of an unmounted overlay onto `lower_copy` (a complete local copy of
// its lower layer): whiteouts remove, opaque directories replace, files and symlinks replace,
// directories take the upper's mode, owner and time. Entries are moved (rename, the same file
// system) and removed from `upper` as they are applied, so a run killed half-way and run again
// applies the rest and ends with the same tree. Errors: kStorage naming the path.
core::Status MergeOverlayUpper(const std::string& upper, const std::string& lower_copy);

// Flushes the file system that holds `path` (syncfs): every file written and every rename made
// there is on disk when it returns. One flush instead of an fsync per moved file and directory.
// kStorage naming the path, with the write-back error.
core::Status SyncFilesystemOf(const std::string& path);

}  // namespace hasteward::jobs
