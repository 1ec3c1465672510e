// core/mount_table: what is mounted in this process's mount namespace (/proc/self/mountinfo),
// read in one place, and detaching every mount below a directory before it is removed (a sandbox
// whose instant restore was killed leaves its snapshot's FUSE mount and overlay under it).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace hasteward::core {

struct MountEntry {
  std::string mountpoint;  // as the kernel lists it, escapes (\040 for a space) decoded
  std::string fstype;      // "overlay", "fuse.hasteward", ...
};

// The mount table in mount order; empty when /proc is not readable.
std::vector<MountEntry> ReadMountTable();

// True when `path` (made canonical, so a symlink to a mountpoint counts) is a mountpoint.
bool IsMountpoint(const std::string& path);

// The mountpoints strictly below `dir`, deepest first (the order they can be detached in).
std::vector<std::string> MountpointsUnder(const std::string& dir);

// Detaches (MNT_DETACH: an open file keeps the old mount for its holder only) every mount below
// `dir`, deepest first; kStorage naming the first the kernel refused.
Status DetachMountsUnder(const std::string& dir);

}  // namespace hasteward::core
