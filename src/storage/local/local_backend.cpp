#include "storage/local/local_backend.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/fd.h"
#include "core/temp_dir.h"

namespace hasteward::storage {

namespace {

using core::ErrnoStatus;
using core::Status;
using core::UniqueFd;

Status ListDir(const std::string& dir, FileType type,
               const std::function<Status(const FileInfo&)>& fn) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) {
      return Status::Ok();
    }
    return ErrnoStatus("list '" + dir + "'", errno);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
  while (true) {
    errno = 0;
    dirent* e = ::readdir(d);
    if (e == nullptr) {
      if (errno != 0) {
        return ErrnoStatus("list '" + dir + "'", errno);
      }
      return Status::Ok();
    }
    if (!IsValidName(type, e->d_name)) {
      continue;  // temp files, dot entries
    }
    struct stat st {};
    std::string path = dir + "/" + e->d_name;
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) {
        continue;  // removed concurrently
      }
      return ErrnoStatus("stat '" + path + "'", errno);
    }
    HS_TRY(fn(FileInfo{e->d_name, static_cast<uint64_t>(st.st_size)}));
  }
}

}  // namespace

std::string LocalBackend::PathOf(const Handle& h) const {
  if (h.type == FileType::kConfig) {
    return root_ + "/config";
  }
  if (h.type == FileType::kPack) {
    return root_ + "/data/" + h.name.substr(0, 2) + "/" + h.name;
  }
  return root_ + "/" + FileTypeDir(h.type) + "/" + h.name;
}

Status LocalBackend::Create() {
  for (const char* d : {"keys", "snapshots", "index", "locks", "data"}) {
    HS_TRY(core::MakeDirs(root_ + "/" + d, 0700));
  }
  char sub[3];
  for (int i = 0; i < 256; ++i) {
    std::snprintf(sub, sizeof(sub), "%02x", i);
    HS_TRY(core::MakeDirs(root_ + "/data/" + sub, 0700));
  }
  return core::FsyncDir(root_);
}

Status LocalBackend::Save(const Handle& h, core::ByteView data) {
  std::string path = PathOf(h);
  core::AtomicFileOptions opts;
  opts.mode = 0400;  // repository files are immutable, as restic writes them
  opts.parent_dir_mode = 0700;
  // A lock only matters while its holder runs: after a crash it is stale whether or not it reached
  // the disk, so its two fsyncs (a journal commit each, 15-20 ms on a busy disk) bought nothing.
  // The rename still shows it only whole to other processes.
  opts.durable = h.type != FileType::kLock;
  return core::WriteFileAtomically(path, data, opts).Wrap("save '" + path + "'");
}

Status LocalBackend::Load(const Handle& h, uint64_t offset, uint64_t length, core::Bytes* out) {
  std::string path = PathOf(h);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return core::NotFound("'" + path + "' does not exist");
    }
    return ErrnoStatus("open '" + path + "'", errno);
  }
  if (length == 0) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
      return ErrnoStatus("stat '" + path + "'", errno);
    }
    uint64_t size = static_cast<uint64_t>(st.st_size);
    if (offset > size) {
      return core::StorageError("read '" + path + "': offset beyond end of file");
    }
    length = size - offset;
  }
  out->resize(length);
  size_t done = 0;
  while (done < length) {
    ssize_t n =
        ::pread(fd.get(), out->data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoStatus("read '" + path + "'", errno);
    }
    if (n == 0) {
      return core::StorageError("read '" + path + "': file is shorter than expected (" +
                                std::to_string(offset + done) + " bytes)");
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

core::Result<FileInfo> LocalBackend::Stat(const Handle& h) {
  std::string path = PathOf(h);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return core::NotFound("'" + path + "' does not exist");
    }
    return ErrnoStatus("stat '" + path + "'", errno);
  }
  return FileInfo{h.name, static_cast<uint64_t>(st.st_size)};
}

Status LocalBackend::List(FileType t, const std::function<Status(const FileInfo&)>& fn) {
  if (t == FileType::kConfig) {
    return core::Usage("config is not listable");
  }
  if (t != FileType::kPack) {
    return ListDir(root_ + "/" + FileTypeDir(t), t, fn);
  }
  char sub[3];
  for (int i = 0; i < 256; ++i) {
    std::snprintf(sub, sizeof(sub), "%02x", i);
    HS_TRY(ListDir(root_ + "/data/" + sub, t, fn));
  }
  return Status::Ok();
}

Status LocalBackend::Remove(const Handle& h) {
  std::string path = PathOf(h);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    // EPERM: an append-only directory (chattr +a); EACCES: no write permission on it.
    if (errno == EPERM || errno == EACCES)
      return DeleteRefused("remove '" + path + "': " + std::strerror(errno));
    return ErrnoStatus("remove '" + path + "'", errno);
  }
  return Status::Ok();
}

}  // namespace hasteward::storage
