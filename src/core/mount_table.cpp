#include "core/mount_table.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <sys/mount.h>

namespace hasteward::core {

namespace {

// mountinfo escapes space, tab, newline and backslash as a backslash and three octal digits.
std::string Unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string octal = field.substr(i + 1, 3);
      if (std::all_of(octal.begin(), octal.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out.push_back(static_cast<char>(std::stoi(octal, nullptr, 8)));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

std::string Canonical(const std::string& path) {
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

}  // namespace

std::vector<MountEntry> ReadMountTable() {
  std::vector<MountEntry> mounts;
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    // Fields: id parent major:minor root mountpoint options [optional...] - fstype source ...
    std::istringstream fields(line);
    std::string id, parent, device, root, mountpoint;
    fields >> id >> parent >> device >> root >> mountpoint;
    std::string fstype;
    if (size_t dash = line.find(" - "); dash != std::string::npos)
      std::istringstream(line.substr(dash + 3)) >> fstype;
    mounts.push_back({Unescape(mountpoint), fstype});
  }
  return mounts;
}

bool IsMountpoint(const std::string& path) {
  const std::string canonical = Canonical(path);
  auto mounts = ReadMountTable();
  return std::any_of(mounts.begin(), mounts.end(),
                     [&](const MountEntry& mount) { return mount.mountpoint == canonical; });
}

std::vector<std::string> MountpointsUnder(const std::string& dir) {
  const std::string prefix = Canonical(dir) + "/";
  std::vector<std::string> below;
  for (const auto& mount : ReadMountTable()) {
    if (mount.mountpoint.starts_with(prefix))
      below.push_back(mount.mountpoint);
  }
  // Later mounts sit on earlier ones; a deeper path can only be detached before its parent's.
  std::reverse(below.begin(), below.end());
  std::stable_sort(below.begin(), below.end(), [](const std::string& a, const std::string& b) {
    return std::count(a.begin(), a.end(), '/') > std::count(b.begin(), b.end(), '/');
  });
  return below;
}

Status DetachMountsUnder(const std::string& dir) {
  for (const auto& mountpoint : MountpointsUnder(dir)) {
    // One path can hold stacked mounts: each detach takes the top one.
    while (::umount2(mountpoint.c_str(), MNT_DETACH) == 0) {
    }
    if (errno != EINVAL && errno != ENOENT) {
      return StorageError("detach the mount at '" + mountpoint + "': " + std::strerror(errno))
          .WithHint("detach it (umount -l) as root, then run the command again");
    }
  }
  return Status::Ok();
}

}  // namespace hasteward::core
