#include "jobs/snapshot_mount.h"

#define FUSE_USE_VERSION \
  314  // NOLINT(cppcoreguidelines-macro-usage): libfuse selects its API by it
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fuse3/fuse.h>
#include <fuse3/fuse_lowlevel.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/log.h"
#include "repo/mount/snapshot_file_reader.h"

namespace hasteward::jobs {

namespace {

// What every FUSE callback reaches through fuse_get_context()->private_data.
struct MountState {
  MountState(repo::Repository& repo, repo::SnapshotTree& snapshot_tree, repo::BlobCache& blobs,
             uint64_t readahead)
      : repository(repo), tree(snapshot_tree), cache(blobs), readahead_bytes(readahead) {}

  repo::Repository& repository;
  repo::SnapshotTree& tree;
  repo::BlobCache& cache;
  uint64_t readahead_bytes;
  std::atomic<uint64_t> read_errors{0};
  // Open files by the handle the kernel holds (fuse_file_info::fh): a number, not a pointer, so
  // a handle the kernel sends back can only find a reader this mount made.
  std::mutex files_mu;
  uint64_t next_handle = 1;
  std::unordered_map<uint64_t, std::shared_ptr<repo::SnapshotFileReader>> files;

  std::shared_ptr<repo::SnapshotFileReader> File(uint64_t handle) {
    std::lock_guard<std::mutex> lock(files_mu);
    auto it = files.find(handle);
    return it == files.end() ? nullptr : it->second;
  }
};

MountState& State() {
  return *static_cast<MountState*>(fuse_get_context()->private_data);
}

// The errno a failed lookup answers: a missing name is ENOENT; anything else (a tree that fails
// to load or verify, a storage error) is EIO, so a reader never mistakes damage for absence.
int ErrnoFor(const core::Status& status, const char* path) {
  if (status.code() == core::ErrorCode::kNotFound)
    return -ENOENT;
  core::LogError("mount: '" + std::string(path) + "': " + status.ToString());
  ++State().read_errors;
  return -EIO;
}

void FillStat(const repo::Node& node, struct stat* st) {
  std::memset(st, 0, sizeof(*st));
  mode_t type = S_IFREG;
  if (node.type == "dir") {
    type = S_IFDIR;
  } else if (node.type == "symlink") {
    type = S_IFLNK;
  }
  st->st_mode = type | repo::PosixFromGoMode(node.mode);
  st->st_nlink = node.type == "dir" ? 2 : 1;
  st->st_uid = node.uid;
  st->st_gid = node.gid;
  st->st_size = static_cast<off_t>(node.type == "symlink" ? node.linktarget.size() : node.size);
  st->st_blksize = 4096;
  st->st_blocks = (st->st_size + 511) / 512;
  st->st_mtim = {node.mtime.unix_seconds, node.mtime.nanos};
  st->st_atim = {node.atime.unix_seconds, node.atime.nanos};
  st->st_ctim = {node.ctime.unix_seconds, node.ctime.nanos};
}

void* OnInit(fuse_conn_info* /*conn*/, fuse_config* config) {
  // A snapshot never changes: the kernel may keep pages, attributes and names for as long as it
  // likes, and need not ask again.
  config->kernel_cache = 1;
  config->entry_timeout = 86400;
  config->attr_timeout = 86400;
  config->negative_timeout = 86400;
  return fuse_get_context()->private_data;
}

int OnGetattr(const char* path, struct stat* st, fuse_file_info* /*fi*/) {
  auto node = State().tree.Lookup(path);
  if (!node.ok())
    return ErrnoFor(node.status(), path);
  FillStat(*node, st);
  return 0;
}

int OnReaddir(const char* path, void* buf, fuse_fill_dir_t filler, off_t /*offset*/,
              fuse_file_info* /*fi*/, fuse_readdir_flags /*flags*/) {
  auto dir = State().tree.Lookup(path);
  if (!dir.ok())
    return ErrnoFor(dir.status(), path);
  if (dir->type != "dir")
    return -ENOTDIR;
  auto entries = State().tree.List(*dir);
  if (!entries.ok())
    return ErrnoFor(entries.status(), path);
  filler(buf, ".", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  filler(buf, "..", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  for (const repo::Node& entry : *entries) {
    struct stat st {};
    FillStat(entry, &st);
    if (filler(buf, entry.name.c_str(), &st, 0, static_cast<fuse_fill_dir_flags>(0)) != 0)
      break;
  }
  return 0;
}

int OnOpen(const char* path, fuse_file_info* fi) {
  if ((fi->flags & O_ACCMODE) != O_RDONLY)
    return -EROFS;
  MountState& state = State();
  auto node = state.tree.Lookup(path);
  if (!node.ok())
    return ErrnoFor(node.status(), path);
  if (node->type != "file")
    return node->type == "dir" ? -EISDIR : -EINVAL;
  auto reader = repo::SnapshotFileReader::Open(state.repository.index(), *node, state.cache,
                                               state.readahead_bytes);
  if (!reader.ok())
    return ErrnoFor(reader.status(), path);
  std::lock_guard<std::mutex> lock(state.files_mu);
  fi->fh = state.next_handle++;
  state.files.emplace(fi->fh, std::move(reader).value());
  fi->keep_cache = 1;
  return 0;
}

int OnRead(const char* path, char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  std::shared_ptr<repo::SnapshotFileReader> reader = State().File(fi->fh);
  if (!reader)
    return -EBADF;
  auto read = reader->Read(static_cast<uint64_t>(offset),
                           std::span<uint8_t>(reinterpret_cast<uint8_t*>(buf), size));
  if (!read.ok())
    return ErrnoFor(read.status(), path);
  return static_cast<int>(*read);
}

int OnRelease(const char* /*path*/, fuse_file_info* fi) {
  MountState& state = State();
  std::lock_guard<std::mutex> lock(state.files_mu);
  state.files.erase(fi->fh);
  return 0;
}

int OnReadlink(const char* path, char* buf, size_t size) {
  auto node = State().tree.Lookup(path);
  if (!node.ok())
    return ErrnoFor(node.status(), path);
  if (node->type != "symlink" || size == 0)
    return -EINVAL;
  size_t n = std::min(size - 1, node->linktarget.size());
  std::memcpy(buf, node->linktarget.data(), n);
  buf[n] = '\0';
  return 0;
}

fuse_operations Operations() {
  fuse_operations ops{};
  ops.init = OnInit;
  ops.getattr = OnGetattr;
  ops.readdir = OnReaddir;
  ops.open = OnOpen;
  ops.read = OnRead;
  ops.release = OnRelease;
  ops.readlink = OnReadlink;
  return ops;
}

// The FUSE handle, unmounted and destroyed on every path out.
struct FuseDeleter {
  void operator()(fuse* f) const { fuse_destroy(f); }
};
using FusePtr = std::unique_ptr<fuse, FuseDeleter>;

struct FuseArgs {
  fuse_args args = FUSE_ARGS_INIT(0, nullptr);
  ~FuseArgs() { fuse_opt_free_args(&args); }
};

core::Result<FusePtr> NewFuse(const SnapshotMountOptions& options, const fuse_operations& ops,
                              MountState* state) {
  FuseArgs args;
  std::string opts = "ro,default_permissions,subtype=hasteward,fsname=" +
                     (options.fs_name.empty() ? std::string("hasteward") : options.fs_name);
  if (options.allow_other)
    opts += ",allow_other";
  if (fuse_opt_add_arg(&args.args, "hasteward") != 0 || fuse_opt_add_arg(&args.args, "-o") != 0 ||
      fuse_opt_add_arg(&args.args, opts.c_str()) != 0) {
    return core::Status(core::ErrorCode::kInternal, "out of memory building the fuse options");
  }
  FusePtr f(fuse_new(&args.args, &ops, sizeof(ops), state));
  if (!f) {
    return core::StorageError("fuse refused the mount options '" + opts + "'");
  }
  return f;
}

core::Status CheckMountpoint(const std::string& mountpoint) {
  struct stat st {};
  if (mountpoint.empty() || ::stat(mountpoint.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return core::Usage("mountpoint '" + mountpoint + "' is not an existing directory",
                       "create the directory first (mkdir -p '" + mountpoint + "')");
  }
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    return core::StorageError("fuse is not available: /dev/fuse cannot be opened (" +
                              std::string(std::strerror(errno)) + ")")
        .WithHint(
            "install fuse3 (tools/setup.sh); in a container add the /dev/fuse device and "
            "the SYS_ADMIN capability");
  }
  return core::Status::Ok();
}

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Aborts the FUSE connection of the mount on device `dev`: after a lazy unmount a file still
// open keeps the connection, and libfuse's workers would wait for its requests forever. Its
// readers then get ENOTCONN, never data that is not there. The control filesystem is mounted
// first where the system has not (systemd does; a bare container does not).
void AbortConnection(dev_t dev) {
  std::string dir = "/sys/fs/fuse/connections";
  std::string path = dir + "/" + std::to_string(minor(dev)) + "/abort";
  if (::access(path.c_str(), W_OK) != 0 &&
      ::mount("fusectl", dir.c_str(), "fusectl", 0, nullptr) != 0)
    core::LogWarn("mount: cannot mount the fuse control filesystem at '" + dir + "'");
  core::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0 || ::write(fd.get(), "1", 1) != 1) {
    core::LogWarn("mount: could not abort the fuse connection at '" + path +
                  "'; the command ends when the last open file of the mount is closed");
  }
}

// Waits until a stop signal arrives (returns it) or the loop ends by itself (returns 0).
int WaitForStop(int loop_done_fd, int stop_fd) {
  sigset_t set = StopSignals();
  core::UniqueFd signal_fd(::signalfd(-1, &set, SFD_CLOEXEC));
  pollfd fds[3] = {{signal_fd.get(), POLLIN, 0}, {loop_done_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  while (true) {
    int n = ::poll(fds, stop_fd >= 0 ? 3 : 2, -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(signal_fd.get(), &info, sizeof(info)) == sizeof(info))
        return static_cast<int>(info.ssi_signo);
    }
    if ((fds[1].revents & POLLIN) || (stop_fd >= 0 && (fds[2].revents & POLLIN)))
      return 0;
  }
}

}  // namespace

void BlockStopSignalsForMount() {
  sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

core::Result<SnapshotMountSummary> ServeSnapshotMount(repo::Repository& repository,
                                                      repo::SnapshotTree& tree,
                                                      const SnapshotMountOptions& options) {
  BlockStopSignalsForMount();
  HS_TRY(CheckMountpoint(options.mountpoint));
  repo::BlobCache cache(
      [&repository](const repo::Id& id) { return repository.LoadBlob(id, repo::BlobType::kData); },
      options.cache);
  MountState state(repository, tree, cache, options.readahead_bytes);
  fuse_operations ops = Operations();
  HS_ASSIGN_OR_RETURN(FusePtr f, NewFuse(options, ops, &state));
  if (fuse_mount(f.get(), options.mountpoint.c_str()) != 0) {
    return core::StorageError("cannot mount the snapshot at '" + options.mountpoint + "'")
        .WithHint(
            "check that the directory is not a mountpoint already, and that fusermount3 "
            "(package fuse3) is installed");
  }
  core::UniqueFd loop_done(::eventfd(0, EFD_CLOEXEC));
  std::thread loop([&] {
    fuse_loop_config* config = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(config, 0);
    fuse_loop_mt(f.get(), config);
    fuse_loop_cfg_destroy(config);
    uint64_t one = 1;
    (void)::write(loop_done.get(), &one, sizeof(one));
  });
  // The FUSE device's number names its connection for AbortConnection. Only now: a stat of the
  // mountpoint is a FUSE request, answered by the loop just started.
  struct stat mounted {};
  ::stat(options.mountpoint.c_str(), &mounted);
  if (options.on_mounted)
    options.on_mounted();
  SnapshotMountSummary summary;
  summary.stop_signal = WaitForStop(loop_done.get(), options.stop_fd);
  // Leave the loop, then unmount (lazily when busy), which ends the workers' reads of the device.
  fuse_session_exit(fuse_get_session(f.get()));
  fuse_unmount(f.get());
  pollfd done{loop_done.get(), POLLIN, 0};
  if (::poll(&done, 1, 5000) == 0) {
    core::LogWarn(
        "mount: a file of the mount is still open 5 s after the unmount; aborting the "
        "connection (its reader gets ENOTCONN)");
    AbortConnection(mounted.st_dev);
  }
  loop.join();
  summary.cache = cache.stats();
  summary.read_errors = state.read_errors.load();
  return summary;
}

struct BackgroundSnapshotMount::Shared {
  std::mutex mutex;
  std::condition_variable changed;
  bool mounted = false;
  bool finished = false;
  core::Result<SnapshotMountSummary> outcome = core::Status(core::ErrorCode::kInternal, "running");
  core::UniqueFd stop{::eventfd(0, EFD_CLOEXEC)};
};

core::Result<std::unique_ptr<BackgroundSnapshotMount>> BackgroundSnapshotMount::Start(
    repo::Repository& repository, repo::SnapshotTree& tree, SnapshotMountOptions options) {
  std::unique_ptr<BackgroundSnapshotMount> mount(new BackgroundSnapshotMount());
  auto shared = std::make_shared<Shared>();
  mount->shared_ = shared;
  options.stop_fd = shared->stop.get();
  options.on_mounted = [shared] {
    std::lock_guard<std::mutex> hold(shared->mutex);
    shared->mounted = true;
    shared->changed.notify_all();
  };
  mount->thread_ = std::thread([shared, &repository, &tree, options] {
    auto outcome = ServeSnapshotMount(repository, tree, options);
    std::lock_guard<std::mutex> hold(shared->mutex);
    shared->outcome = std::move(outcome);
    shared->finished = true;
    shared->changed.notify_all();
  });
  std::unique_lock<std::mutex> lock(shared->mutex);
  shared->changed.wait(lock, [&] { return shared->mounted || shared->finished; });
  if (!shared->mounted) {
    lock.unlock();
    mount->thread_.join();
    return shared->outcome.status();
  }
  return mount;
}

core::Result<SnapshotMountSummary> BackgroundSnapshotMount::Stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)::write(shared_->stop.get(), &one, sizeof(one));
    thread_.join();
  }
  return shared_->outcome;
}

BackgroundSnapshotMount::~BackgroundSnapshotMount() {
  (void)Stop();
}

}  // namespace hasteward::jobs
