#include "jobs/overlay_mount.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/mount_table.h"
#include "jobs/errno_path.h"

namespace hasteward::jobs {

namespace fs = std::filesystem;

namespace {

// overlayfs' marks in the upper directory (Documentation/filesystems/overlayfs.rst): a deleted
// lower entry is a character device 0/0, a directory whose lower content is hidden carries
// trusted.overlay.opaque=y.
bool IsWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool IsOpaque(const std::string& path) {
  char value[4] = {};
  ssize_t n = ::lgetxattr(path.c_str(), "trusted.overlay.opaque", value, sizeof(value));
  return n > 0 && value[0] == 'y';
}

core::Status RemoveTree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec)
    return core::StorageError("remove '" + path + "': " + ec.message());
  return core::Status::Ok();
}

// Whiteouts and overlay attributes left inside a directory moved whole (an opaque one): below an
// opaque directory nothing of the lower layer shows, so they mean nothing any more.
core::Status Scrub(const std::string& dir) {
  ::lremovexattr(dir.c_str(), "trusted.overlay.opaque");
  std::error_code ec;
  std::vector<std::string> whiteouts;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    std::string path = it->path().string();
    if (::lstat(path.c_str(), &st) != 0)
      return PathErrnoStatus("stat", path);
    if (IsWhiteout(st)) {
      whiteouts.push_back(path);
    } else if (S_ISDIR(st.st_mode)) {
      ::lremovexattr(path.c_str(), "trusted.overlay.opaque");
    }
  }
  if (ec)
    return core::StorageError("walk '" + dir + "': " + ec.message());
  for (const auto& path : whiteouts) {
    if (::unlink(path.c_str()) != 0)
      return PathErrnoStatus("remove", path);
  }
  return core::Status::Ok();
}

core::Status CopyDirAttributes(const std::string& from, const std::string& to) {
  struct stat st {};
  if (::lstat(from.c_str(), &st) != 0)
    return PathErrnoStatus("stat", from);
  if (::lchown(to.c_str(), st.st_uid, st.st_gid) != 0 && errno != EPERM)
    return PathErrnoStatus("chown", to);
  if (::chmod(to.c_str(), st.st_mode & 07777) != 0)
    return PathErrnoStatus("chmod", to);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return PathErrnoStatus("set the times of", to);
  return core::Status::Ok();
}

core::Status MergeDir(const std::string& upper, const std::string& dest);

// One entry of the upper directory applied to `dest` (the same relative path in the copy).
core::Status MergeEntry(const std::string& from, const std::string& dest) {
  struct stat st {};
  if (::lstat(from.c_str(), &st) != 0)
    return PathErrnoStatus("stat", from);
  if (IsWhiteout(st)) {
    HS_TRY(RemoveTree(dest));
    return ::unlink(from.c_str()) == 0 ? core::Status::Ok() : PathErrnoStatus("remove", from);
  }
  if (S_ISDIR(st.st_mode) && !IsOpaque(from)) {
    struct stat existing {};
    if (::lstat(dest.c_str(), &existing) == 0 && !S_ISDIR(existing.st_mode))
      HS_TRY(RemoveTree(dest));
    if (::mkdir(dest.c_str(), 0700) != 0 && errno != EEXIST)
      return PathErrnoStatus("create", dest);
    HS_TRY(MergeDir(from, dest));
    HS_TRY(CopyDirAttributes(from, dest));
    return ::rmdir(from.c_str()) == 0 ? core::Status::Ok() : PathErrnoStatus("remove", from);
  }
  // A file, a symlink or an opaque directory replaces what the copy holds. Why remove first:
  // rename() cannot replace a directory with a file, nor a non-empty directory. A kill between
  // the two steps leaves `from` in place, and the rerun removes again and moves.
  if (S_ISDIR(st.st_mode))
    HS_TRY(RemoveTree(dest));
  if (::rename(from.c_str(), dest.c_str()) != 0) {
    if (errno != EISDIR && errno != ENOTEMPTY && errno != EEXIST)
      return PathErrnoStatus("move", from);
    HS_TRY(RemoveTree(dest));
    if (::rename(from.c_str(), dest.c_str()) != 0)
      return PathErrnoStatus("move", from);
  }
  return S_ISDIR(st.st_mode) ? Scrub(dest) : core::Status::Ok();
}

core::Status MergeDir(const std::string& upper, const std::string& dest) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(upper, ec))
    names.push_back(entry.path().filename().string());
  if (ec)
    return core::StorageError("list '" + upper + "': " + ec.message());
  for (const auto& name : names) {
    std::string from = upper;
    from.append("/").append(name);
    std::string to = dest;
    to.append("/").append(name);
    HS_TRY(MergeEntry(from, to));
  }
  return core::Status::Ok();
}

}  // namespace

core::Status MountOverlay(const OverlayLayers& layers, const std::string& target) {
  std::string options = "lowerdir=" + layers.lower + ",upperdir=" + layers.upper +
                        ",workdir=" + layers.work + ",redirect_dir=off,metacopy=off,index=off";
  if (::mount("overlay", target.c_str(), "overlay", 0, options.c_str()) != 0) {
    return core::StorageError("mount an overlay at '" + target + "' (" + options +
                              "): " + std::strerror(errno))
        .WithHint(
            "an instant restore needs root and a kernel with overlayfs; restore without --instant "
            "instead");
  }
  return core::Status::Ok();
}

core::Status UnmountIfMounted(const std::string& path) {
  while (core::IsMountpoint(path)) {
    if (::umount2(path.c_str(), MNT_DETACH) != 0)
      return PathErrnoStatus("unmount", path);
  }
  return core::Status::Ok();
}

core::Status MergeOverlayUpper(const std::string& upper, const std::string& lower_copy) {
  HS_TRY(MergeDir(upper, lower_copy));
  // The overlay's root showed the upper directory's owner and mode (the database's user, 0700).
  return CopyDirAttributes(upper, lower_copy);
}

core::Status SyncFilesystemOf(const std::string& path) {
  core::UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid())
    return PathErrnoStatus("open", path);
  if (::syncfs(dir.get()) != 0)
    return PathErrnoStatus("flush to disk the file system of", path);
  return core::Status::Ok();
}

}  // namespace hasteward::jobs
